using static TorchSharp.torch;

namespace Pipeline.Tests.Adapters;

/// <summary>
/// The delta formulas written out independently of the library (einsum over named indices, Kronecker blocks by loops),
/// from the definitions in kohya's networks/lora.py and LyCORIS's modules (loha, lokr, locon, full).
/// </summary>
static class Expected
{
    static Tensor F(Tensor t) => t.to(ScalarType.Float64);

    /// <summary>LoRA / LoCon: up [o, r(,1,1)] · down [r, i(, kh, kw)] · scale.</summary>
    public static Tensor Lora(Tensor up, Tensor down, double scale)
    {
        var u = F(up).reshape(up.shape[0], up.shape[1]);
        var d = F(down);
        return (d.dim() == 4 ? einsum("or,rikl->oikl", u, d) : einsum("or,ri->oi", u, d)).mul(scale);
    }

    /// <summary>LoCon with a Tucker core: Σ up[o, m] · mid[m, n, k, l] · down[n, i].</summary>
    public static Tensor LoconTucker(Tensor up, Tensor mid, Tensor down, double scale) =>
        einsum("om,mnkl,ni->oikl", F(up).reshape(up.shape[0], up.shape[1]), F(mid), F(down).reshape(down.shape[0], down.shape[1])).mul(scale);

    /// <summary>LoHa: (w1a · w1b) ⊙ (w2a · w2b) · scale, reshaped to <paramref name="shape"/>.</summary>
    public static Tensor Loha(Tensor w1a, Tensor w1b, Tensor w2a, Tensor w2b, double scale, long[] shape) =>
        (einsum("or,ri->oi", F(w1a), F(w1b)) * einsum("or,ri->oi", F(w2a), F(w2b))).mul(scale).reshape(shape);

    /// <summary>One Tucker product: t [r, r, kh, kw], a [r, out], b [r, in] → [out, in, kh, kw].</summary>
    public static Tensor Tucker(Tensor t, Tensor a, Tensor b) => einsum("ijkl,io,jn->onkl", F(t), F(a), F(b));

    /// <summary>LoKr: W1 ⊗ W2 · scale, block (i, j) = W1[i, j] · W2, W2 [c, d(, kh, kw)].</summary>
    public static Tensor Lokr(Tensor w1, Tensor w2, double scale)
    {
        long a = w1.shape[0], b = w1.shape[1], c = w2.shape[0], d = w2.shape[1];
        var shape = new[] { a * c, b * d }.Concat(w2.shape.Skip(2)).ToArray();
        var result = zeros(shape, ScalarType.Float64);
        for (long i = 0; i < a; i++)
            for (long j = 0; j < b; j++)
                result.narrow(0, i * c, c).narrow(1, j * d, d).copy_(F(w2) * F(w1)[i, j]);
        return result.mul(scale);
    }

    /// <summary>A zero delta of <paramref name="shape"/> with <paramref name="rows"/> set from <paramref name="part"/>.</summary>
    public static Tensor InRows(long[] shape, long start, Tensor part)
    {
        var full = zeros(shape, ScalarType.Float64);
        full.narrow(0, start, part.shape[0]).copy_(part);
        return full;
    }
}
