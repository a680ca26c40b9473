using TorchSharp.Modules;
using static TorchSharp.torch;
using Pipeline.Runtime;

namespace Pipeline.Models.TextEncoders;

/// <summary>open_clip <c>ResidualAttentionBlock</c> (no layer scale): <c>x + attn(ln_1(x))</c>, then <c>+ mlp(ln_2(·))</c>.</summary>
public sealed class OpenClipResidualAttentionBlock : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly OpenClipAttention attn;
    private readonly LayerNorm ln_2;
    private readonly OpenClipMlp mlp;

    public OpenClipResidualAttentionBlock(ClipTextConfig config, Device? device = null, ScalarType? dtype = null)
        : base(nameof(OpenClipResidualAttentionBlock))
    {
        ln_1 = nn.LayerNorm(config.Width, config.LayerNormEps, device: device, dtype: dtype);
        attn = new OpenClipAttention(config, device, dtype);
        ln_2 = nn.LayerNorm(config.Width, config.LayerNormEps, device: device, dtype: dtype);
        mlp = new OpenClipMlp(config, device, dtype);
        RegisterComponents();
    }

    /// <summary>x [B, L, width] (batch-first; the result equals open_clip's sequence-first run).</summary>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.Plus(attn.forward(ln_1.forward(x)));
        return h.Plus(mlp.forward(ln_2.forward(h))).MoveToOuterDisposeScope();
    }
}
