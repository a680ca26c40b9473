using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pipeline.Runtime;

namespace Pipeline.Models.Unet;

/// <summary>
/// sgm <c>BasicTransformerBlock</c> (gated FF): pre-LN self-attention, pre-LN cross-attention, pre-LN GEGLU
/// feed-forward, each added to its input. LayerNorms eps 1e-5.
/// </summary>
public sealed class BasicTransformerBlock : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly CrossAttention attn1;
    private readonly FeedForward ff;
    private readonly CrossAttention attn2;
    private readonly LayerNorm norm1;
    private readonly LayerNorm norm2;
    private readonly LayerNorm norm3;

    public BasicTransformerBlock(int dim, int heads, int headChannels, int? contextDim, double dropout = 0.0,
        Device? device = null, ScalarType? dtype = null) : base(nameof(BasicTransformerBlock))
    {
        attn1 = new CrossAttention(dim, null, heads, headChannels, dropout, device, dtype);
        ff = new FeedForward(dim, dropout: dropout, device: device, dtype: dtype);
        attn2 = new CrossAttention(dim, contextDim, heads, headChannels, dropout, device, dtype);
        norm1 = nn.LayerNorm(dim, device: device, dtype: dtype);
        norm2 = nn.LayerNorm(dim, device: device, dtype: dtype);
        norm3 = nn.LayerNorm(dim, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, N, dim]</param>
    /// <param name="context">[B, M, contextDim] (null: attn2 attends to x itself)</param>
    public override Tensor forward(Tensor x, Tensor? context)
    {
        using var scope = NewDisposeScope();
        x = attn1.call(Float32Norms.LayerNorm(norm1, x), null).Plus(x);
        x = attn2.call(Float32Norms.LayerNorm(norm2, x), context).Plus(x);
        x = ff.call(Float32Norms.LayerNorm(norm3, x)).Plus(x);
        return x.MoveToOuterDisposeScope();
    }
}
