using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Unet;

/// <summary>sgm UNet <c>Downsample</c> (conv_resample): 3x3 conv, stride 2, padding 1, so H → ⌈H/2⌉.</summary>
public sealed class Downsample : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d op;

    public Downsample(int channels, int outChannels, Device? device = null, ScalarType? dtype = null) : base(nameof(Downsample))
    {
        op = nn.Conv2d(channels, outChannels, 3, stride: 2, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return Convolutions.Forward(op, x).MoveToOuterDisposeScope();
    }
}
