using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipeline.Components;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Denoising;
using Pipeline.Diffusion.Scaling;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Properties;

public class DiscretizationProperties
{
    public static IEnumerable<object[]> Discretizations =>
        ComponentRegistry.BuiltIns.Names(ComponentKind.Discretization).Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Discretizations))]
    public void Every_discretization_gives_valid_schedules_of_the_requested_length(string name)
    {
        var d = ComponentRegistry.BuiltIns.Discretization(name);
        int max = d is LegacyDDPMDiscretization l ? l.NumTimesteps : 1000;
        Prop.ForAll(Gen.Choose(1, max).ToArbitrary(), steps =>
        {
            var withZero = d.GetSigmas(steps);
            var without = d.GetSigmas(steps, appendZero: false);
            return withZero.Count == steps + 1 && withZero.EndsWithZero && without.Count == steps && !without.EndsWithZero
                   && without.SequenceEqual(withZero.Take(steps))
                   && without.All(s => float.IsFinite(s) && s > 0)
                   && without.Zip(without.Skip(1)).All(p => p.First > p.Second);
        }).QuickCheckThrowOnFailure();
    }

    [Property(MaxTest = 200)]
    public Property Legacy_schedules_are_subsets_of_the_full_table()
    {
        var legacy = new LegacyDDPMDiscretization();
        var table = legacy.GetSigmas(1000, appendZero: false).ToHashSet();
        return Prop.ForAll(Generators.LegacyStepCounts, n => legacy.GetSigmas(n, appendZero: false).All(table.Contains));
    }

    [Fact]
    public void Sigma_to_idx_inverts_idx_to_sigma_for_every_index()
    {
        var d = new DiscreteDenoiser(new EpsScaling(), new LegacyDDPMDiscretization());
        using var scope = NewDisposeScope();
        var idx = arange(0, 1000, dtype: ScalarType.Int64);
        Assert.True(d.SigmaToIdx(d.IdxToSigma(idx)).eq(idx).all().item<bool>());
    }

    [Property(MaxTest = 300)]
    public Property Quantization_is_idempotent_and_lands_on_the_table()
    {
        var d = new DiscreteDenoiser(new EpsScaling(), new LegacyDDPMDiscretization());
        var table = d.Table.ToHashSet();
        return Prop.ForAll(Generators.LogUniformSigmas, sigma =>
        {
            using var scope = NewDisposeScope();
            var s = tensor(new[] { (float)sigma });
            var q1 = d.QuantizeSigma(s);
            var q2 = d.QuantizeSigma(q1);
            return q1.eq(q2).all().item<bool>() && table.Contains(q1.item<float>());
        });
    }

    [Fact]
    public void Sigmas_reject_invalid_schedules_with_a_reason()
    {
        Assert.Contains("strictly decrease", Assert.Throws<ArgumentException>(() => new Pipeline.Diffusion.Sigmas(new[] { 1f, 2f, 0f })).Message);
        Assert.Contains("finite and positive", Assert.Throws<ArgumentException>(() => new Pipeline.Diffusion.Sigmas(new[] { 3f, float.NaN })).Message);
        Assert.Contains("finite and positive", Assert.Throws<ArgumentException>(() => new Pipeline.Diffusion.Sigmas(new[] { 3f, 0f, 0f })).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => new LegacyDDPMDiscretization().GetSigmas(1001));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EDMDiscretization().GetSigmas(0));
    }
}

public class SettingsRecordTests
{
    [Fact]
    public void Records_with_equal_settings_are_equal_and_with_copies_recompute()
    {
        Assert.Equal(new LegacyDDPMDiscretization(), new LegacyDDPMDiscretization());
        Assert.Equal(new DiscreteDenoiser(new EpsScaling(), new LegacyDDPMDiscretization()), new DiscreteDenoiser(new EpsScaling(), new LegacyDDPMDiscretization()));
        var full = new LegacyDDPMDiscretization();
        _ = full.AlphasCumprod;
        var shorter = full with { NumTimesteps = 500 };
        Assert.Equal(500, shorter.AlphasCumprod.Count);
        Assert.Equal(500, shorter.GetSigmas(500, appendZero: false).Count);
        var d = new DiscreteDenoiser(new EpsScaling(), full);
        _ = d.Table;
        Assert.Equal(200, (d with { NumIdx = 200 }).Table.Count);
    }
}
