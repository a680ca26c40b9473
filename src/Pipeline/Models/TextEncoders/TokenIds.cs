using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>Validation of the token id tensors the text encoders accept.</summary>
internal static class TokenIds
{
    /// <summary>Checks <paramref name="ids"/> is an int64 [B, maxPositions] tensor.</summary>
    public static Tensor Check(Tensor ids, ClipTextConfig config, string model)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.dim() != 2 || ids.shape[1] != config.MaxPositions)
            throw new ArgumentException(
                $"{model}: token ids must be [B, {config.MaxPositions}], got [{string.Join(", ", ids.shape)}]");
        if (ids.dtype != ScalarType.Int64)
            throw new ArgumentException($"{model}: token ids must be int64, got {ids.dtype}");
        return ids;
    }
}
