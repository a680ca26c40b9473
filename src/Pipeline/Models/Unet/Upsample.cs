using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Unet;

/// <summary>
/// sgm UNet <c>Upsample</c> (conv_resample): nearest-neighbour resize then 3x3 conv, padding 1. sgm always doubles
/// H and W; here the caller may name the target size (the skip connection's), so inputs whose sides are not
/// multiples of 2^(levels-1) still line up. For a target of exactly twice the size both are identical.
/// </summary>
public sealed class Upsample : nn.Module<Tensor, long[]?, Tensor>
{
    private readonly Conv2d conv;

    public Upsample(int channels, int outChannels, Device? device = null, ScalarType? dtype = null) : base(nameof(Upsample))
    {
        conv = nn.Conv2d(channels, outChannels, 3, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, C, H, W]</param>
    /// <param name="size">target [H', W'], or null for [2H, 2W]</param>
    public override Tensor forward(Tensor x, long[]? size)
    {
        using var scope = NewDisposeScope();
        var target = size ?? new[] { x.shape[2] * 2, x.shape[3] * 2 };
        var resized = nn.functional.interpolate(x, size: target, mode: InterpolationMode.Nearest);
        return Convolutions.Forward(conv, resized).MoveToOuterDisposeScope();
    }
}
