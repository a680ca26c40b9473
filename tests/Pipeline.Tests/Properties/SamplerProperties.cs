using FsCheck;
using FsCheck.Fluent;
using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;
using Cond = Pipeline.Conditioning.Conditioning;

namespace Pipeline.Tests.Properties;

/// <summary>One suite of laws, run over every sampler the registry holds (built-ins and the first-party plugins).</summary>
public class SamplerProperties
{
    public static IEnumerable<object[]> Samplers => SamplerSuite.Registry.Names(ComponentKind.Sampler).Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Samplers))]
    public void An_oracle_denoiser_takes_every_sampler_to_x0(string name) => SamplerSuite.EndsAtX0(SamplerSuite.Registry.Sampler(name));

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Samplers_are_deterministic_for_a_fixed_noise_source(string name) =>
        SamplerSuite.Deterministic(SamplerSuite.Registry.Sampler(name));

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Sampling_leaves_no_live_tensors_behind(string name) => SamplerSuite.NoLeaks(SamplerSuite.Registry.Sampler(name));

    [Theory]
    [MemberData(nameof(Samplers))]
    public void Samplers_report_every_step_and_stop_when_cancelled(string name) =>
        SamplerSuite.ReportsAndCancels(SamplerSuite.Registry.Sampler(name));

    [Fact]
    public void CFG_with_scale_one_equals_the_conditional_prediction()
    {
        Prop.ForAll(Generators.Seeds, seed =>
        {
            using var scope = NewDisposeScope();
            using var noise = new SeededNoise(seed);
            var x = noise.Normal(new long[] { 2, 4, 3, 3 });
            var sigma = full(new long[] { 2 }, 3.0f);
            var cond = new Cond(Concat: noise.Normal(x.shape));
            var uncond = new Cond(Concat: noise.Normal(x.shape));
            Tensor D(Tensor xx, Tensor s, Cond c) => xx * 0.3 + c.Concat! * SamplingMath.AppendDims(s, 4).sqrt();
            var guided = Guided.Compose(new VanillaCFG(1.0), D, cond, uncond)(x, sigma);
            var direct = D(x, sigma, cond);
            return (guided - direct).abs().max().item<float>() <= 1e-6f;
        }).QuickCheckThrowOnFailure();
    }
}

static class SamplerSuite
{
    /// <summary>Built-ins plus the first-party plugins' registrations (what the host loads).</summary>
    public static ComponentRegistry Registry => Pipeline.Tests.Plugins.PluginRegistry.Snapshot;

    static Sigmas Schedule(int steps) => new Pipeline.Diffusion.Discretization.EDMDiscretization(0.03, 14.6).GetSigmas(steps);

    public static void EndsAtX0(ISampler sampler) => Prop.ForAll(Generators.SamplerRuns, run =>
    {
        using var scope = NewDisposeScope();
        using var noise = new SeededNoise(run.Seed);
        var x0 = noise.Normal(new long[] { run.Batch, 4, 4, 4 });
        var x = noise.Normal(x0.shape);
        var result = sampler.Sample((xx, s) => x0.expand_as(xx).clone(), x, Schedule(run.Steps), noise);
        var err = (result - x0).abs().max().item<float>();
        return (err <= 1e-5f).Label($"max |x - x0| = {err}");
    }).QuickCheckThrowOnFailure();

    public static void Deterministic(ISampler sampler) => Prop.ForAll(Generators.SamplerRuns, run =>
    {
        using var scope = NewDisposeScope();
        var x = randn(run.Batch, 4, 4, 4, generator: new Generator((ulong)run.Seed));
        Tensor D(Tensor xx, Tensor s) => xx / (1 + SamplingMath.AppendDims(s, xx.dim()).pow(2));
        using var n1 = new SeededNoise(run.Seed);
        using var n2 = new SeededNoise(run.Seed);
        var a = sampler.Sample(D, x, Schedule(run.Steps), n1);
        var b = sampler.Sample(D, x, Schedule(run.Steps), n2);
        return a.eq(b).all().item<bool>();
    }).QuickCheckThrowOnFailure();

    public static void NoLeaks(ISampler sampler)
    {
        using var x = randn(2, 4, 4, 4);
        using var noise = new SeededNoise(7);
        Tensor D(Tensor xx, Tensor s) => xx / (1 + SamplingMath.AppendDims(s, xx.dim()).pow(2));
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var result = sampler.Sample(D, x, Schedule(12), noise)) { }
        var after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Assert.Equal(before, after);
    }

    public static void ReportsAndCancels(ISampler sampler)
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 4, 4, 4);
        using var noise = new SeededNoise(3);
        Tensor D(Tensor xx, Tensor s) => xx / (1 + SamplingMath.AppendDims(s, xx.dim()).pow(2));
        var seen = new List<(int Index, float Sigma)>();
        var sigmas = Schedule(9);
        sampler.Sample(D, x, sigmas, noise, new SamplingOptions(s => seen.Add((s.Index, s.Sigma))));
        Assert.Equal(Enumerable.Range(0, 9), seen.Select(s => s.Index));
        Assert.Equal(sigmas.Take(9), seen.Select(s => s.Sigma));

        using var cts = new CancellationTokenSource();
        int steps = 0;
        Assert.Throws<OperationCanceledException>(() => sampler.Sample(D, x, sigmas, noise,
            new SamplingOptions(_ => { if (++steps == 3) cts.Cancel(); }, cts.Token)));
        Assert.Equal(3, steps);
    }
}
