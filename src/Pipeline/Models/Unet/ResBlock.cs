using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pipeline.Runtime;

namespace Pipeline.Models.Unet;

/// <summary>
/// sgm <c>ResBlock</c> (no scale-shift norm, no up/down): GN, SiLU, 3x3 conv; plus Linear(SiLU(emb)) broadcast over
/// H and W; GN, SiLU, dropout, 3x3 conv; residual through a 1x1 conv when the channel count changes.
/// </summary>
public sealed class ResBlock : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Sequential in_layers;
    private readonly Sequential emb_layers;
    private readonly Sequential out_layers;
    private readonly Conv2d? skip_connection;

    public ResBlock(int channels, int embChannels, int outChannels, double dropout = 0.0, Device? device = null, ScalarType? dtype = null, int normGroups = 32)
        : base(nameof(ResBlock))
    {
        in_layers = nn.Sequential(
            new GroupNorm32(channels, normGroups, device: device, dtype: dtype),
            nn.SiLU(),
            nn.Conv2d(channels, outChannels, 3, padding: 1, device: device, dtype: dtype));
        emb_layers = nn.Sequential(
            nn.SiLU(),
            nn.Linear(embChannels, outChannels, device: device, dtype: dtype));
        out_layers = nn.Sequential(
            new GroupNorm32(outChannels, normGroups, device: device, dtype: dtype),
            nn.SiLU(),
            nn.Dropout(dropout),
            nn.Conv2d(outChannels, outChannels, 3, padding: 1, device: device, dtype: dtype));
        skip_connection = outChannels == channels ? null : nn.Conv2d(channels, outChannels, 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, C, H, W]</param>
    /// <param name="emb">[B, embChannels]</param>
    public override Tensor forward(Tensor x, Tensor emb)
    {
        using var scope = NewDisposeScope();
        var h = Convolutions.Sequence(in_layers, x);
        var embOut = emb_layers.call(emb).to(h.dtype);
        h = Convolutions.Sequence(out_layers, h.Plus(embOut.unsqueeze(-1).unsqueeze(-1)));
        var skip = skip_connection is null ? x : Convolutions.Forward(skip_connection, x);
        return skip.Plus(h).MoveToOuterDisposeScope();
    }
}
