using System.Diagnostics;
using static TorchSharp.torch;

namespace Pipeline.Diagnostics;

/// <summary>The machine's dense matmul rate with the current torch thread settings: the yardstick for model benchmarks.</summary>
public static class MatmulRate
{
    /// <summary>Best GFLOP/s of <paramref name="repeats"/> [n×n]·[n×n] products in <paramref name="dtype"/>.</summary>
    public static double GigaflopsPerSecond(int n = 2048, int repeats = 5, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var a = randn(new long[] { n, n }, dtype, device ?? CPU);
        var b = randn(new long[] { n, n }, dtype, device ?? CPU);
        using (var warm = a.matmul(b)) { }
        double best = double.MaxValue;
        for (int i = 0; i < repeats; i++)
        {
            var clock = Stopwatch.StartNew();
            using var c = a.matmul(b);
            _ = c[0, 0].to(ScalarType.Float32).item<float>();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return 2.0 * n * n * (double)n / best / 1e9;
    }
}
