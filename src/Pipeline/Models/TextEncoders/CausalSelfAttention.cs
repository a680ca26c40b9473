using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>Multi-head attention with the CLIP text tower's causal mask, from already projected q, k, v.</summary>
internal static class CausalSelfAttention
{
    /// <summary>q, k, v [B, L, W] → [B, L, W]; heads split along W, scale 1/sqrt(W/heads), position i sees 0..i.</summary>
    public static Tensor Apply(Tensor q, Tensor k, Tensor v, int heads)
    {
        long b = q.shape[0], l = q.shape[1], w = q.shape[2];
        Tensor Split(Tensor t) => t.view(b, l, heads, w / heads).transpose(1, 2);
        var attended = nn.functional.scaled_dot_product_attention(Split(q), Split(k), Split(v), is_casual: true);
        return attended.transpose(1, 2).reshape(b, l, w);
    }
}
