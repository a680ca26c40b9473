using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pipeline.Runtime;

namespace Pipeline.Models.Vae;

/// <summary>
/// sgm VAE <c>ResnetBlock</c> without a time embedding: GN (eps 1e-6), swish, 3x3 conv, GN, swish, dropout, 3x3 conv;
/// residual through a 1x1 <c>nin_shortcut</c> when the channel count changes.
/// </summary>
public sealed class ResnetBlock : nn.Module<Tensor, Tensor>
{
    private readonly GroupNorm norm1;
    private readonly Conv2d conv1;
    private readonly GroupNorm norm2;
    private readonly Dropout dropout;
    private readonly Conv2d conv2;
    private readonly Conv2d? nin_shortcut;

    public ResnetBlock(int inChannels, int outChannels, double dropout = 0.0, Device? device = null, ScalarType? dtype = null, int groups = Normalize.SgmGroups)
        : base(nameof(ResnetBlock))
    {
        norm1 = Normalize.Create(inChannels, device, dtype, groups);
        conv1 = nn.Conv2d(inChannels, outChannels, 3, padding: 1, device: device, dtype: dtype);
        norm2 = Normalize.Create(outChannels, device, dtype, groups);
        this.dropout = nn.Dropout(dropout);
        conv2 = nn.Conv2d(outChannels, outChannels, 3, padding: 1, device: device, dtype: dtype);
        nin_shortcut = inChannels == outChannels ? null : nn.Conv2d(inChannels, outChannels, 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>The block with its GroupNorms taking statistics from <paramref name="statistics"/> (null: their own).</summary>
    public Tensor Forward(Tensor x, GroupNormStatistics? statistics)
    {
        using var scope = NewDisposeScope();
        var h = Convolutions.Forward(conv1, nn.functional.silu(Normalize.Apply(norm1, x, statistics)));
        h = Convolutions.Forward(conv2, dropout.call(nn.functional.silu(Normalize.Apply(norm2, h, statistics))));
        var skip = nin_shortcut is null ? x : Convolutions.Forward(nin_shortcut, x);
        return skip.Plus(h).MoveToOuterDisposeScope();
    }
}

/// <summary>sgm VAE <c>Normalize</c>: GroupNorm, 32 groups (<see cref="AutoencoderKLConfig.NormGroups"/>), eps 1e-6, affine.</summary>
public static class Normalize
{
    /// <summary>sgm's group count (hard-coded in its <c>Normalize</c>).</summary>
    public const int SgmGroups = 32;

    public static GroupNorm Create(int channels, Device? device = null, ScalarType? dtype = null, int groups = SgmGroups) =>
        GroupNorms.Create(groups, channels, 1e-6, device, dtype);

    /// <summary><paramref name="norm"/> on <paramref name="x"/>, with statistics from <paramref name="statistics"/> when given.</summary>
    public static Tensor Apply(GroupNorm norm, Tensor x, GroupNormStatistics? statistics) =>
        statistics is null ? norm.call(x) : statistics.Apply(norm, x);
}
