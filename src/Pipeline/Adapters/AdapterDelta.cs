using static TorchSharp.torch;

namespace Pipeline.Adapters;

/// <summary>
/// How one module's weight change ΔW is computed from stored factors: LoRA/LoCon (<see cref="LoraDelta"/>), LoHa
/// (<see cref="LohaDelta"/>), LoKr (<see cref="LokrDelta"/>) or a full difference (<see cref="FullDelta"/>). The records
/// hold names and shapes only (validated against the target when created); the factors are read when a merge needs them.
/// </summary>
/// <param name="Scale">The factor that multiplies the raw product (alpha / rank, or 1).</param>
public abstract record AdapterDelta(double Scale)
{
    public abstract AdapterFamily Family { get; }

    /// <summary>The stored tensors this delta reads.</summary>
    public abstract IReadOnlyList<AdapterFactor> Factors { get; }

    /// <summary>
    /// Scale · ΔW as a float32 tensor of <paramref name="shape"/> (the target's delta shape), computed from the factors that
    /// <paramref name="read"/> returns as float32 (on any one device; the result is on that device). The caller owns the
    /// result; intermediates are disposed.
    /// </summary>
    public Tensor Compute(Func<string, Tensor> read, long[] shape)
    {
        using var scope = NewDisposeScope();
        var delta = Raw(read).reshape(shape);
        if (Scale != 1.0) delta = delta.mul(Scale);
        return delta.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>The unscaled product, in any shape with the target's number of elements and memory order.</summary>
    protected abstract Tensor Raw(Func<string, Tensor> read);

    /// <summary>A Tucker core <paramref name="t"/> [r₁, r₂, k…] with its mode factors <paramref name="a"/> [r₁, out] and <paramref name="b"/> [r₂, in] → [out, in, k…] (LyCORIS's rebuild).</summary>
    protected static Tensor Tucker(Tensor t, Tensor a, Tensor b)
    {
        var kernel = t.shape.Skip(2).ToArray();
        var flat = t.reshape(t.shape[0], t.shape[1], DeltaShapes.Product(kernel));
        var rebuilt = einsum("ijk,ip,jr->prk", flat, a, b);
        return rebuilt.reshape(new[] { a.shape[1], b.shape[1] }.Concat(kernel).ToArray());
    }

    protected static ArgumentException Error(string message) => new(message);
}
