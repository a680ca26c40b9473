using static TorchSharp.torch;

namespace Pipeline.Adapters;

/// <summary>
/// LyCORIS LoKr: ΔW = scale · W1 ⊗ W2 (Kronecker product), reshaped to the weight, with W1 = <c>lokr_w1</c> [a, b] or
/// <c>lokr_w1_a</c> [a, r] · <c>lokr_w1_b</c> [r, b], and W2 = <c>lokr_w2</c> [c, d] / [c, d, kh, kw], or
/// <c>lokr_w2_a</c> [c, r] · <c>lokr_w2_b</c> [r, d·kh·kw], or with the Tucker core <c>lokr_t2</c> [r, r, kh, kw] and modes
/// <c>lokr_w2_a</c> [r, c], <c>lokr_w2_b</c> [r, d]; the weight is [a·c, b·d(, kh, kw)]. scale = alpha / r where r is
/// <c>lokr_w1_b</c>'s first dimension when W1 is decomposed, else <c>lokr_w2_b</c>'s (no alpha, or alpha 0: 1); when
/// neither is decomposed LyCORIS fixes alpha = rank, so scale = 1 whatever alpha the file stores.
/// </summary>
public sealed record LokrDelta(AdapterFactor? W1, AdapterFactor? W1A, AdapterFactor? W1B, AdapterFactor? W2, AdapterFactor? W2A, AdapterFactor? W2B,
    AdapterFactor? T2, double Scale) : AdapterDelta(Scale)
{
    public override AdapterFamily Family => AdapterFamily.LoKr;

    public override IReadOnlyList<AdapterFactor> Factors =>
        new[] { W1, W1A, W1B, W2, W2A, W2B, T2 }.Where(f => f is not null).Select(f => f!).ToList();

    /// <summary>Validates the factors against a delta of <paramref name="target"/> shape; throws <see cref="ArgumentException"/> naming the keys.</summary>
    public static LokrDelta Create(string module, AdapterFactor? w1, AdapterFactor? w1a, AdapterFactor? w1b, AdapterFactor? w2, AdapterFactor? w2a,
        AdapterFactor? w2b, AdapterFactor? t2, double? alpha, IReadOnlyList<long> target)
    {
        var any = new[] { w1, w1a, w1b, w2, w2a, w2b, t2 }.First(f => f is not null)!;
        var (a, b) = Side(module, "w1", w1, w1a, w1b, any);
        var (c, w2Tail) = W2Shape(module, w2, w2a, w2b, t2, any);

        if (target.Count < 2) throw Error($"{any}: LoKr module '{module}' targets a weight of {DeltaShapes.Show(target)}; LoKr needs a matrix or a conv kernel");
        bool fits;
        if (w2Tail.Length >= 2)
        {
            var natural = new[] { a * c, b * w2Tail[0] }.Concat(w2Tail.Skip(1)).ToArray();
            fits = DeltaShapes.Fits(natural, target);
        }
        else fits = a * c == target[0] && target[1] % b == 0 && b * w2Tail[0] == DeltaShapes.Product(target.Skip(1));
        if (!fits)
            throw Error($"LoKr module '{module}': W1 [{a}, {b}] ⊗ W2 [{c}, {string.Join(", ", w2Tail)}] does not make the delta {DeltaShapes.Show(target)} (factors {string.Join(", ", new[] { w1, w1a, w1b, w2, w2a, w2b, t2 }.Where(f => f is not null))})");

        long? rank = w1 is null ? w1b![0] : w2 is null ? w2b![0] : null;
        double scale = rank is null ? 1.0 : DeltaShapes.Scale(alpha, rank.Value);
        return new LokrDelta(w1, w1a, w1b, w2, w2a, w2b, t2, scale);
    }

    /// <summary>The [rows, cols] of a matrix side given whole or as a · b.</summary>
    static (long Rows, long Cols) Side(string module, string name, AdapterFactor? whole, AdapterFactor? fa, AdapterFactor? fb, AdapterFactor any)
    {
        if (whole is not null)
        {
            if (fa is not null || fb is not null) throw Error($"{whole}: LoKr module '{module}' has both lokr_{name} and lokr_{name}_a/_b");
            if (whole.Rank != 2) throw Error($"{whole}: lokr_{name} is a matrix");
            return (whole[0], whole[1]);
        }
        if (fa is null || fb is null)
            throw Error($"{fa ?? fb ?? any}: LoKr module '{module}' lacks lokr_{name}{(fa is null && fb is null ? $" (or lokr_{name}_a and lokr_{name}_b)" : fa is null ? "_a" : "_b")}");
        if (fa.Rank != 2 || fb.Rank != 2) throw Error($"{(fa.Rank != 2 ? fa : fb)}: lokr_{name}_a and lokr_{name}_b are matrices");
        if (fa[1] != fb[0]) throw Error($"rank mismatch in module '{module}': {fa} and {fb}");
        return (fa[0], fb[1]);
    }

    /// <summary>W2's rows and the rest of its shape: [d, kh, kw] when whole or Tucker-built, [d·kh·kw] when a · b.</summary>
    static (long Rows, long[] Tail) W2Shape(string module, AdapterFactor? w2, AdapterFactor? w2a, AdapterFactor? w2b, AdapterFactor? t2, AdapterFactor any)
    {
        if (t2 is null)
        {
            if (w2 is not null && w2.Rank > 2)
            {
                if (w2a is not null || w2b is not null) throw Error($"{w2}: LoKr module '{module}' has both lokr_w2 and lokr_w2_a/_b");
                return (w2[0], w2.Shape.Skip(1).ToArray());
            }
            var (rows, cols) = Side(module, "w2", w2, w2a, w2b, any);
            return (rows, [cols]);
        }
        if (w2 is not null) throw Error($"{t2}: LoKr module '{module}' has both lokr_w2 and a Tucker core lokr_t2");
        if (w2a is null || w2b is null) throw Error($"{t2}: LoKr module '{module}' has a Tucker core but lacks lokr_w2_{(w2a is null ? "a" : "b")}");
        if (t2.Rank < 3 || w2a.Rank != 2 || w2b.Rank != 2) throw Error($"{t2}: a LoKr Tucker core is [r, r, kh, kw] with lokr_w2_a [r, c] and lokr_w2_b [r, d]");
        if (t2[0] != w2a[0] || t2[1] != w2b[0]) throw Error($"rank mismatch in module '{module}': {t2} with {w2a} and {w2b}");
        return (w2a[1], t2.Shape.Skip(2).Prepend(w2b[1]).ToArray());
    }

    protected override Tensor Raw(Func<string, Tensor> read)
    {
        var w1 = W1 is not null ? read(W1.Key) : read(W1A!.Key).matmul(read(W1B!.Key));
        var w2 = T2 is not null ? Tucker(read(T2.Key), read(W2A!.Key), read(W2B!.Key))
            : W2 is not null ? read(W2.Key)
            : read(W2A!.Key).matmul(read(W2B!.Key));
        return Kron(w1, w2.flatten(1));
    }

    /// <summary>A ⊗ B for matrices: [a, b] ⊗ [c, e] → [a·c, b·e], element (i·c + p, j·e + q) = A[i, j] · B[p, q].</summary>
    static Tensor Kron(Tensor x, Tensor y)
    {
        long a = x.shape[0], b = x.shape[1], c = y.shape[0], e = y.shape[1];
        return (x.reshape(a, 1, b, 1) * y.reshape(1, c, 1, e)).reshape(a * c, b * e);
    }
}
