using Pipeline.Checkpoints;
using static TorchSharp.torch;

namespace Pipeline.Tests.Checkpoints;

/// <summary>A tensor to write: name, safetensors dtype, shape and the seed of its random bytes.</summary>
public sealed record TensorSpec(string Name, string DType, long[] Shape, int Seed)
{
    public override string ToString() => $"{Name} {DType} [{string.Join(",", Shape)}] seed {Seed}";

    /// <summary>A tensor of this spec filled with seeded random bytes (any bit pattern, NaNs included).</summary>
    public Tensor Create()
    {
        SafeTensorsDType.TryParse(DType, out var type, out _);
        var t = empty(Shape, type);
        if (t.numel() == 0) return t;
        var bytes = new byte[t.numel() * SafeTensorsDType.SizeOf(type)];
        new Random(Seed).NextBytes(bytes);
        if (type == ScalarType.Bool) for (int i = 0; i < bytes.Length; i++) bytes[i] &= 1;
        t.bytes = bytes;
        return t;
    }
}
