using TorchSharp.Modules;
using static TorchSharp.torch;
using Pipeline.Runtime;

namespace Pipeline.Models.TextEncoders;

/// <summary>transformers <c>CLIPEncoderLayer</c>: pre-LayerNorm causal self-attention and MLP, each residual.</summary>
public sealed class ClipEncoderLayer : nn.Module<Tensor, Tensor>
{
    private readonly ClipAttention self_attn;
    private readonly LayerNorm layer_norm1;
    private readonly ClipMlp mlp;
    private readonly LayerNorm layer_norm2;

    public ClipEncoderLayer(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipEncoderLayer))
    {
        self_attn = new ClipAttention(config, device, dtype);
        layer_norm1 = nn.LayerNorm(config.Width, config.LayerNormEps, device: device, dtype: dtype);
        mlp = new ClipMlp(config, device, dtype);
        layer_norm2 = nn.LayerNorm(config.Width, config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.Plus(self_attn.forward(layer_norm1.forward(x)));
        var result = h.Plus(mlp.forward(layer_norm2.forward(h)));
        return result.MoveToOuterDisposeScope();
    }
}
