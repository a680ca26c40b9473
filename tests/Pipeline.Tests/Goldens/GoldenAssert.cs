using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Goldens;

/// <summary>Comparisons with the metric of the goldens README: max |a - b| / max(1, max |reference|).</summary>
public static class GoldenAssert
{
    /// <summary>The README metric between <paramref name="expected"/> and <paramref name="actual"/> (float64).</summary>
    public static double ScaledError(Tensor expected, Tensor actual)
    {
        using var scope = NewDisposeScope();
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.to(ScalarType.Float64).cpu();
        var a = actual.to(ScalarType.Float64).cpu();
        if (e.numel() == 0) return 0;
        double m = Math.Max(1.0, e.abs().max().item<double>());
        var diff = (e - a).abs().max().item<double>();
        return double.IsNaN(diff) ? double.PositiveInfinity : diff / m;
    }

    /// <summary>Relative error max |a - b| / max(|reference|) used for the "F32 ≤ 1e-6 relative" cases.</summary>
    public static double RelativeError(Tensor expected, Tensor actual)
    {
        using var scope = NewDisposeScope();
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.to(ScalarType.Float64).cpu();
        var a = actual.to(ScalarType.Float64).cpu();
        var rel = ((e - a).abs() / e.abs().clamp_min(1e-30)).max().item<double>();
        return double.IsNaN(rel) ? double.PositiveInfinity : rel;
    }

    /// <summary>Asserts <see cref="ScaledError"/> ≤ <paramref name="tolerance"/>; returns the error for reporting.</summary>
    public static double Close(Tensor expected, Tensor actual, double tolerance, string what)
    {
        var err = ScaledError(expected, actual);
        Assert.True(err <= tolerance, $"{what}: scaled error {err:E3} > tolerance {tolerance:E1}");
        return err;
    }

    public static double RelativeClose(Tensor expected, Tensor actual, double tolerance, string what)
    {
        var err = RelativeError(expected, actual);
        Assert.True(err <= tolerance, $"{what}: relative error {err:E3} > tolerance {tolerance:E1}");
        return err;
    }

    public static void Exact(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var e = expected.to(ScalarType.Int64).cpu().data<long>().ToArray();
        var a = actual.to(ScalarType.Int64).cpu().data<long>().ToArray();
        for (int i = 0; i < e.Length; i++)
            Assert.True(e[i] == a[i], $"{what}[{i}]: expected {e[i]}, got {a[i]}");
    }
}
