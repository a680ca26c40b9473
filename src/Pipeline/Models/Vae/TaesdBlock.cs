using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>
/// TAESD's residual block at equal widths: relu(conv(relu(conv(relu(conv(x))))) + x), three 3×3 convs at
/// <c>conv.0</c>, <c>conv.2</c>, <c>conv.4</c> (the released state names; the skip is the identity, so it owns no weights).
/// </summary>
internal sealed class TaesdBlock : nn.Module<Tensor, Tensor>
{
    private readonly Sequential conv;

    public TaesdBlock(int channels, Device? device, ScalarType? dtype) : base(nameof(TaesdBlock))
    {
        conv = nn.Sequential(
            nn.Conv2d(channels, channels, 3, padding: 1, device: device, dtype: dtype), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding: 1, device: device, dtype: dtype), nn.ReLU(),
            nn.Conv2d(channels, channels, 3, padding: 1, device: device, dtype: dtype));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return nn.functional.relu(Convolutions.Sequence(conv, x) + x).MoveToOuterDisposeScope();
    }
}
