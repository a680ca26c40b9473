namespace Pipeline.Adapters;

/// <summary>Shape helpers shared by the delta formulas.</summary>
public static class DeltaShapes
{
    /// <summary>e.g. <c>[640, 320, 3, 3]</c>.</summary>
    public static string Show(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    public static long Product(IEnumerable<long> dims) => dims.Aggregate(1L, (a, b) => a * b);

    /// <summary>
    /// Whether a delta of <paramref name="natural"/> shape fits a target of <paramref name="target"/> shape: equal, or equal
    /// once trailing 1s after the first two dimensions are dropped (a Linear [out, in] ↔ a 1×1 conv [out, in, 1, 1]).
    /// </summary>
    public static bool Fits(IReadOnlyList<long> natural, IReadOnlyList<long> target) =>
        natural.SequenceEqual(target) || Core(natural).SequenceEqual(Core(target));

    static IEnumerable<long> Core(IReadOnlyList<long> shape)
    {
        int n = shape.Count;
        while (n > 2 && shape[n - 1] == 1) n--;
        return shape.Take(n);
    }

    /// <summary>The scale alpha / rank, with kohya's and LyCORIS's conventions: no alpha or alpha 0 means alpha = rank (scale 1).</summary>
    public static double Scale(double? alpha, long rank) => alpha is null or 0 ? 1.0 : alpha.Value / rank;
}
