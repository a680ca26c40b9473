using Pipeline.Adapters;
using Pipeline.Models.Bundles;
using Xunit;
using static Pipeline.Tests.Adapters.AdapterScratch;
using static TorchSharp.torch;

namespace Pipeline.Tests.Adapters;

/// <summary>
/// Merges adapters into a model and checks: exactly the expected parameters change, each by strength · the expected
/// delta (relative error ≤ 1e-5), and disposing the merge restores every tensor bit for bit.
/// </summary>
static class MergeCheck
{
    public const double Tolerance = 1e-5;

    /// <param name="expected">Parameter name → expected (unit-strength) delta of the whole parameter, float64.</param>
    public static void Merged(SdxlModel model, IReadOnlyList<AdapterUse> uses, IReadOnlyDictionary<string, Tensor> expected)
    {
        var before = Snapshot(model);
        var originals = expected.Keys.ToDictionary(k => k, k => Copy(model, k));
        try
        {
            using (var merge = AdapterMerge.Apply(model, uses))
            {
                var after = Snapshot(model);
                Assert.Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal), Changed(before, after));
                Assert.Equal(expected.Keys.OrderBy(k => k, StringComparer.Ordinal), merge.Touched.OrderBy(k => k, StringComparer.Ordinal));
                foreach (var (name, delta) in expected)
                {
                    using var scope = NewDisposeScope();
                    var actual = Copy(model, name) - originals[name];
                    double error = RelativeError(actual, delta);
                    Assert.True(error <= Tolerance, $"{name}: relative error {error:E2} > {Tolerance:E0}");
                }
            }
            Assert.Empty(Changed(before, Snapshot(model)));
        }
        finally
        {
            foreach (var t in originals.Values) t.Dispose();
        }
    }

    /// <summary>One adapter at <paramref name="strength"/>; <paramref name="expected"/> holds unit-strength deltas.</summary>
    public static void Merged(SdxlModel model, Adapter adapter, double strength, IReadOnlyDictionary<string, Tensor> expected) =>
        Merged(model, [AdapterUse.Of(adapter, strength)], expected.ToDictionary(kv => kv.Key, kv => kv.Value.mul(strength)));
}
