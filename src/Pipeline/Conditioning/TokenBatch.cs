using static TorchSharp.torch;

namespace Pipeline.Conditioning;

/// <summary>Turns the token id rows of a conditioner batch into the [B, L] int64 tensor a text encoder takes.</summary>
internal static class TokenBatch
{
    public static Tensor ToTensor(IReadOnlyList<int[]?> rows, int length, int vocabSize, string field, Device device)
    {
        var flat = new long[rows.Count * length];
        for (int b = 0; b < rows.Count; b++)
        {
            var ids = rows[b] ?? throw new ArgumentException($"row {b}: {field} is missing; this conditioner needs it");
            if (ids.Length != length)
                throw new ArgumentException($"row {b}: {field} has {ids.Length} ids; the encoder takes exactly {length}");
            for (int i = 0; i < length; i++)
            {
                if (ids[i] < 0 || ids[i] >= vocabSize)
                    throw new ArgumentException($"row {b}: {field}[{i}] = {ids[i]} is outside the vocabulary 0..{vocabSize - 1}");
                flat[b * length + i] = ids[i];
            }
        }
        using var cpu = tensor(flat, new long[] { rows.Count, length }, ScalarType.Int64);
        return cpu.to(device);
    }
}
