using static TorchSharp.torch;

namespace Pipeline.Adapters;

/// <summary>
/// LoRA (kohya <c>lora_down</c>/<c>lora_up</c>, diffusers <c>lora.down</c>/<c>lora.up</c>, PEFT <c>lora_A</c>/<c>lora_B</c>)
/// and LyCORIS LoCon: ΔW = scale · up · down, with down [r, in] or [r, in, kh, kw] and up [out, r] or [out, r, 1, 1]
/// (the product reshaped to the weight: [out, in, kh, kw] for a conv); with a Tucker core <c>lora_mid</c> [r, r, kh, kw]
/// (down then [r, in, 1, 1]): ΔW[o, i, k, l] = scale · Σ up[o, m] · mid[m, n, k, l] · down[n, i]. scale = alpha / r with
/// r = down's first dimension (no alpha, or alpha 0: scale 1); PEFT's rsLoRA: alpha / √r.
/// </summary>
public sealed record LoraDelta(AdapterFactor Down, AdapterFactor Up, AdapterFactor? Mid, double Scale) : AdapterDelta(Scale)
{
    public override AdapterFamily Family => AdapterFamily.LoRA;

    public override IReadOnlyList<AdapterFactor> Factors => Mid is null ? [Down, Up] : [Down, Up, Mid];

    /// <summary>The rank r (down's first dimension).</summary>
    public long Rank => Down[0];

    /// <summary>Validates the factors against a delta of <paramref name="target"/> shape; throws <see cref="ArgumentException"/> naming the keys.</summary>
    public static LoraDelta Create(string module, AdapterFactor? down, AdapterFactor? up, AdapterFactor? mid, double? alpha, IReadOnlyList<long> target,
        bool rsLora = false)
    {
        if (down is null || up is null)
        {
            var present = down ?? up ?? mid!;
            throw Error($"{present}: module '{module}' has no {(down is null ? "down (lora_down / lora.down / lora_A)" : "up (lora_up / lora.up / lora_B)")} factor; a LoRA needs both halves");
        }
        if (down.Rank is not (2 or 4)) throw Error($"{down}: a LoRA down factor is [r, in] or [r, in, kh, kw]");
        if (up.Rank is not (2 or 4) || up.Shape.Skip(2).Any(d => d != 1)) throw Error($"{up}: a LoRA up factor is [out, r] or [out, r, 1, 1]");
        long[] natural;
        if (mid is null)
        {
            if (up[1] != down[0]) throw Error($"rank mismatch in module '{module}': {up} has rank {up[1]} but {down} has rank {down[0]}");
            natural = down.Shape.Skip(1).Prepend(up[0]).ToArray();
        }
        else
        {
            if (mid.Rank < 3) throw Error($"{mid}: a LoCon Tucker core is [r, r, kh, kw]");
            if (down.Shape.Skip(2).Any(d => d != 1)) throw Error($"{down}: with a Tucker core (lora_mid) the down factor is [r, in, 1, 1]");
            if (up[1] != mid[0] || mid[1] != down[0])
                throw Error($"rank mismatch in module '{module}': {up}, {mid} and {down} do not chain (up's r = mid's first, mid's second = down's r)");
            natural = new[] { up[0], down[1] }.Concat(mid.Shape.Skip(2)).ToArray();
        }
        if (!DeltaShapes.Fits(natural, target))
            throw Error($"{up} × {down}{(mid is null ? "" : $" (mid {mid})")} makes a delta of {DeltaShapes.Show(natural)}, but module '{module}' needs {DeltaShapes.Show(target)}");
        double scale = rsLora && alpha is not null and not 0 ? alpha.Value / Math.Sqrt(down[0]) : DeltaShapes.Scale(alpha, down[0]);
        return new LoraDelta(down, up, mid, scale);
    }

    protected override Tensor Raw(Func<string, Tensor> read)
    {
        var up = read(Up.Key).flatten(1);
        var down = read(Down.Key).flatten(1);
        if (Mid is null) return up.matmul(down);
        return Tucker(read(Mid.Key), up.t(), down);
    }
}
