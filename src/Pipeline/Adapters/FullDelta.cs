using static TorchSharp.torch;

namespace Pipeline.Adapters;

/// <summary>
/// LyCORIS full (“native fine-tuning” as an adapter): ΔW = <c>diff</c> stored whole, and Δb = <c>diff_b</c> for the bias
/// (one <see cref="FullDelta"/> each). No scale: LyCORIS stores no alpha for it.
/// </summary>
public sealed record FullDelta(AdapterFactor Diff) : AdapterDelta(1.0)
{
    public override AdapterFamily Family => AdapterFamily.Full;

    public override IReadOnlyList<AdapterFactor> Factors => [Diff];

    /// <summary>Validates <paramref name="diff"/> against a delta of <paramref name="target"/> shape; throws <see cref="ArgumentException"/> naming the key.</summary>
    public static FullDelta Create(string module, AdapterFactor diff, IReadOnlyList<long> target)
    {
        if (!DeltaShapes.Fits(diff.Shape, target)) throw Error($"{diff}: module '{module}' needs a difference of {DeltaShapes.Show(target)}");
        return new FullDelta(diff);
    }

    protected override Tensor Raw(Func<string, Tensor> read) => read(Diff.Key).alias();
}
