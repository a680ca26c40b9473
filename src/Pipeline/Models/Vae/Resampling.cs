using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>sgm VAE <c>Downsample</c> (with_conv): pad right and bottom by one zero, then 3x3 conv, stride 2, padding 0.</summary>
public sealed class Downsample : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public Downsample(int channels, Device? device = null, ScalarType? dtype = null) : base(nameof(Downsample))
    {
        conv = nn.Conv2d(channels, channels, 3, stride: 2, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var padded = nn.functional.pad(x, (0L, 1L, 0L, 1L), PaddingModes.Constant, 0.0);
        return Convolutions.Forward(conv, padded).MoveToOuterDisposeScope();
    }
}

/// <summary>sgm VAE <c>Upsample</c> (with_conv): nearest-neighbour ×2, then 3x3 conv, padding 1.</summary>
public sealed class Upsample : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv;

    public Upsample(int channels, Device? device = null, ScalarType? dtype = null) : base(nameof(Upsample))
    {
        conv = nn.Conv2d(channels, channels, 3, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var resized = nn.functional.interpolate(x, scale_factor: new[] { 2.0, 2.0 }, mode: InterpolationMode.Nearest);
        return Convolutions.Forward(conv, resized).MoveToOuterDisposeScope();
    }
}
