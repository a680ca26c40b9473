using static TorchSharp.torch;

namespace Pipeline.Adapters;

/// <summary>
/// LyCORIS LoHa: ΔW = scale · (w1a · w1b) ⊙ (w2a · w2b), with <c>hada_w1_a</c> [out, r], <c>hada_w1_b</c> [r, in·kh·kw]
/// (likewise w2), reshaped to the weight. With Tucker cores <c>hada_t1</c>/<c>hada_t2</c> [r, r, kh, kw] the modes are
/// <c>hada_w1_a</c> [r, out] and <c>hada_w1_b</c> [r, in], and each product is rebuilt as
/// W[p, q, k, l] = Σ t[i, j, k, l] · a[i, p] · b[j, q]. scale = alpha / r with r = <c>hada_w1_b</c>'s first dimension (no
/// alpha, or alpha 0: scale 1). LyCORIS applies this scale once in its forward pass; its <c>get_diff_weight</c> (merge
/// path) multiplies by it a second time, which this library does not reproduce.
/// </summary>
public sealed record LohaDelta(AdapterFactor W1A, AdapterFactor W1B, AdapterFactor W2A, AdapterFactor W2B, AdapterFactor? T1, AdapterFactor? T2,
    double Scale) : AdapterDelta(Scale)
{
    public override AdapterFamily Family => AdapterFamily.LoHa;

    public override IReadOnlyList<AdapterFactor> Factors => T1 is null ? [W1A, W1B, W2A, W2B] : [W1A, W1B, W2A, W2B, T1, T2!];

    public long Rank => W1B[0];

    /// <summary>Validates the factors against a delta of <paramref name="target"/> shape; throws <see cref="ArgumentException"/> naming the keys.</summary>
    public static LohaDelta Create(string module, AdapterFactor? w1a, AdapterFactor? w1b, AdapterFactor? w2a, AdapterFactor? w2b,
        AdapterFactor? t1, AdapterFactor? t2, double? alpha, IReadOnlyList<long> target)
    {
        var parts = new[] { ("hada_w1_a", w1a), ("hada_w1_b", w1b), ("hada_w2_a", w2a), ("hada_w2_b", w2b) };
        var missing = parts.Where(p => p.Item2 is null).Select(p => p.Item1).ToList();
        var any = parts.Select(p => p.Item2).Append(t1).Append(t2).First(f => f is not null)!;
        if (missing.Count > 0) throw Error($"{any}: LoHa module '{module}' lacks {string.Join(", ", missing)}");
        if ((t1 is null) != (t2 is null)) throw Error($"{t1 ?? t2}: LoHa module '{module}' has one Tucker core; it needs both hada_t1 and hada_t2");
        foreach (var f in new[] { w1a!, w1b!, w2a!, w2b! })
            if (f.Rank != 2) throw Error($"{f}: LoHa factors are matrices");

        if (t1 is null)
        {
            if (w1a![1] != w1b![0]) throw Error($"rank mismatch in module '{module}': {w1a} and {w1b}");
            if (w2a![1] != w2b![0]) throw Error($"rank mismatch in module '{module}': {w2a} and {w2b}");
            if (w1a[0] != w2a[0] || w1b[1] != w2b[1]) throw Error($"LoHa module '{module}': {w1a} · {w1b} and {w2a} · {w2b} have different shapes");
            if (w1a[0] != target[0] || w1b[1] != DeltaShapes.Product(target.Skip(1)))
                throw Error($"{w1a} · {w1b} makes a delta of [{w1a[0]}, {w1b[1]}], but module '{module}' needs {DeltaShapes.Show(target)} ({target[0]} × {DeltaShapes.Product(target.Skip(1))})");
        }
        else
        {
            foreach (var (t, a, b) in new[] { (t1!, w1a!, w1b!), (t2!, w2a!, w2b!) })
            {
                if (t.Rank < 3) throw Error($"{t}: a LoHa Tucker core is [r, r, kh, kw]");
                if (t[0] != a[0] || t[1] != b[0]) throw Error($"rank mismatch in module '{module}': {t} with {a} and {b}");
            }
            var natural = new[] { w1a![1], w1b![1] }.Concat(t1!.Shape.Skip(2)).ToArray();
            var second = new[] { w2a![1], w2b![1] }.Concat(t2!.Shape.Skip(2)).ToArray();
            if (!natural.SequenceEqual(second)) throw Error($"LoHa module '{module}': the two Tucker products have shapes {DeltaShapes.Show(natural)} and {DeltaShapes.Show(second)}");
            if (!DeltaShapes.Fits(natural, target)) throw Error($"{t1} makes a delta of {DeltaShapes.Show(natural)}, but module '{module}' needs {DeltaShapes.Show(target)}");
        }
        return new LohaDelta(w1a!, w1b!, w2a!, w2b!, t1, t2, DeltaShapes.Scale(alpha, w1b![0]));
    }

    protected override Tensor Raw(Func<string, Tensor> read)
    {
        if (T1 is null)
            return read(W1A.Key).matmul(read(W1B.Key)).mul(read(W2A.Key).matmul(read(W2B.Key)));
        return Tucker(read(T1.Key), read(W1A.Key), read(W1B.Key)).mul(Tucker(read(T2!.Key), read(W2A.Key), read(W2B.Key)));
    }
}
