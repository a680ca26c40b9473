using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pipeline.Runtime;

namespace Pipeline.Models.Vae;

/// <summary>
/// sgm VAE <c>AttnBlock</c> (and its xformers twin): single-head self-attention over all H·W positions with 1x1
/// conv q/k/v/proj_out, scale C^-½, residual.
/// </summary>
public sealed class AttnBlock : nn.Module<Tensor, Tensor>
{
    private readonly GroupNorm norm;
    private readonly Conv2d q;
    private readonly Conv2d k;
    private readonly Conv2d v;
    private readonly Conv2d proj_out;

    public AttnBlock(int channels, Device? device = null, ScalarType? dtype = null, int groups = Normalize.SgmGroups) : base(nameof(AttnBlock))
    {
        norm = Normalize.Create(channels, device, dtype, groups);
        q = nn.Conv2d(channels, channels, 1, device: device, dtype: dtype);
        k = nn.Conv2d(channels, channels, 1, device: device, dtype: dtype);
        v = nn.Conv2d(channels, channels, 1, device: device, dtype: dtype);
        proj_out = nn.Conv2d(channels, channels, 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>The block with its GroupNorm taking statistics from <paramref name="statistics"/> (null: its own).</summary>
    public Tensor Forward(Tensor x, GroupNormStatistics? statistics)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        var normed = Normalize.Apply(norm, x, statistics);
        // [B, C, H, W] → [B, 1, H·W, C]: one head over every position.
        Tensor Tokens(Tensor t) => t.flatten(2).transpose(1, 2).unsqueeze(1);
        var attended = nn.functional.scaled_dot_product_attention(Tokens(Convolutions.Forward(q, normed)), Tokens(Convolutions.Forward(k, normed)), Tokens(Convolutions.Forward(v, normed)));
        var image = attended.squeeze(1).transpose(1, 2).reshape(b, c, h, w);
        return x.Plus(Convolutions.Forward(proj_out, image)).MoveToOuterDisposeScope();
    }
}
