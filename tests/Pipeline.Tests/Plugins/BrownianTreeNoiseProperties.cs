using FsCheck;
using FsCheck.Fluent;
using Pipeline.Diffusion.Discretization;
using Samplers.KDiffusion;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Plugins;

/// <summary>Laws of the Brownian-tree noise source: one path (increments add up), standard-normal increments, determinism.</summary>
public class BrownianTreeNoiseProperties
{
    const double SigmaMin = 0.0292, SigmaMax = 14.6146;

    static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    /// <summary>(seed, σ_a &gt; σ_b &gt; σ_c) inside the tree's interval.</summary>
    static Arbitrary<(int Seed, double A, double B, double C)> Triples =>
        (from seed in Gen.Choose(0, 1_000_000)
         from u in Gen.Choose(0, 1_000_000).ListOf(3)
         let s = u.Select(v => SigmaMin + (SigmaMax - SigmaMin) * v / 1_000_000.0).Distinct().OrderByDescending(v => v).ToArray()
         where s.Length == 3
         select (seed, s[0], s[1], s[2])).ToArbitrary();

    [Fact]
    public void Increments_over_adjacent_intervals_add_up() => Prop.ForAll(Triples, t =>
    {
        using var scope = NewDisposeScope();
        using var noise = new BrownianTreeNoise(t.Seed, SigmaMin, SigmaMax);
        var like = zeros(2, 3, 4, dtype: ScalarType.Float64);
        var ab = noise.Next(like, t.A, t.B) * Math.Sqrt(t.A - t.B);
        var bc = noise.Next(like, t.B, t.C) * Math.Sqrt(t.B - t.C);
        var ac = noise.Next(like, t.A, t.C) * Math.Sqrt(t.A - t.C);
        var err = (ab + bc - ac).abs().max().item<double>();
        return (err <= 1e-9).Label($"|W(b)-W(a) + W(c)-W(b) - (W(c)-W(a))| = {err}");
    }).Check(Config.QuickThrowOnFailure.WithMaxTest(40));

    [Theory]
    [InlineData(14.6146, 0.0292)]
    [InlineData(14.6146, 10.0)]
    [InlineData(1.0, 0.9)]
    [InlineData(0.05, 0.0292)]
    public void Normalised_increments_are_standard_normal(double sigma, double sigmaNext)
    {
        using var scope = NewDisposeScope();
        using var noise = new BrownianTreeNoise(1234, SigmaMin, SigmaMax);
        var draw = noise.Next(zeros(40_000, dtype: ScalarType.Float64), sigma, sigmaNext);
        double mean = draw.mean().item<double>(), variance = draw.var().item<double>();
        Assert.True(Math.Abs(mean) < 0.03, $"mean {mean}");
        Assert.True(Math.Abs(variance - 1) < 0.04, $"variance {variance}");
    }

    [Fact]
    public void Increments_over_disjoint_intervals_are_uncorrelated()
    {
        using var scope = NewDisposeScope();
        using var noise = new BrownianTreeNoise(99, SigmaMin, SigmaMax);
        var like = zeros(40_000, dtype: ScalarType.Float64);
        var first = noise.Next(like, 10.0, 5.0);
        var second = noise.Next(like, 5.0, 1.0);
        double correlation = (first * second).mean().item<double>() / Math.Sqrt(first.var().item<double>() * second.var().item<double>());
        Assert.True(Math.Abs(correlation) < 0.03, $"correlation {correlation}");
    }

    [Fact]
    public void The_same_seed_gives_the_same_noise_and_another_seed_other_noise()
    {
        using var scope = NewDisposeScope();
        var like = zeros(2, 4, 3, 3);
        using var a = new BrownianTreeNoise(7, SigmaMin, SigmaMax);
        using var b = new BrownianTreeNoise(7, SigmaMin, SigmaMax);
        using var c = new BrownianTreeNoise(8, SigmaMin, SigmaMax);
        Assert.True(Same(a.Next(like, 3.0, 2.0), b.Next(like, 3.0, 2.0)));
        Assert.True(Same(a.Next(like, 3.0, 2.0), a.Next(like, 3.0, 2.0)), "a query must not change the path");
        Assert.False(Same(a.Next(like, 3.0, 2.0), c.Next(like, 3.0, 2.0)));
        Assert.Equal(ScalarType.Float32, a.Next(like, 3.0, 2.0).dtype);
    }

    [Fact]
    public void Queries_outside_the_tree_fail_with_the_interval()
    {
        using var noise = new BrownianTreeNoise(1, SigmaMin, SigmaMax);
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => noise.Next(zeros(3), 20.0, 1.0));
        Assert.Contains("outside the Brownian tree's interval", e.Message);
    }

    [Fact]
    public void SDE_samplers_run_deterministically_on_Brownian_noise()
    {
        using var scope = NewDisposeScope();
        var sigmas = new EDMDiscretization(SigmaMin, SigmaMax).GetSigmas(10);
        var x = randn(new long[] { 1, 4, 4, 4 }, generator: new Generator(5));
        Tensor D(Tensor xx, Tensor s) => xx / (1 + Pipeline.Diffusion.SamplingMath.AppendDims(s, xx.dim()).pow(2));
        foreach (var sampler in new Pipeline.Diffusion.Sampling.ISampler[] { new DPMPPSDESampler(), new DPMPP2MSDESampler(), new DPMPP3MSDESampler() })
        {
            using var n1 = BrownianTreeNoise.For(sigmas, 42);
            using var n2 = BrownianTreeNoise.For(sigmas, 42);
            var a = sampler.Sample(D, x, sigmas, n1);
            var b = sampler.Sample(D, x, sigmas, n2);
            Assert.True(Same(a, b), $"{sampler} is not deterministic on Brownian noise");
            Assert.True(a.isfinite().all().item<bool>());
        }
    }
}
