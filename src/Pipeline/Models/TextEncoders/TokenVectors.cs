using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>
/// Token embeddings that replace the table's rows at some positions (textual inversion): where <see cref="Mask"/>
/// [B, L] is true the encoder reads <see cref="Values"/> [B, L, width] instead of the token embedding of the id there;
/// position embeddings are added as usual. The caller owns both tensors.
/// </summary>
public sealed record TokenVectors(Tensor Mask, Tensor Values)
{
    /// <summary>The token embeddings <paramref name="embedded"/> [B, L, width] with the replaced rows.</summary>
    public Tensor Apply(Tensor embedded)
    {
        if (Mask.dim() != 2 || Values.dim() != 3 || Mask.shape[0] != embedded.shape[0] || Mask.shape[1] != embedded.shape[1]
            || Values.shape[0] != embedded.shape[0] || Values.shape[1] != embedded.shape[1] || Values.shape[2] != embedded.shape[2])
            throw new ArgumentException(
                $"token vectors: mask [{string.Join(", ", Mask.shape)}] and values [{string.Join(", ", Values.shape)}] do not fit the token embeddings [{string.Join(", ", embedded.shape)}]");
        using var scope = NewDisposeScope();
        return where(Mask.to(embedded.device).unsqueeze(-1), Values.to(embedded.dtype, embedded.device), embedded).MoveToOuterDisposeScope();
    }
}
