using FsCheck;
using FsCheck.Fluent;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.TestKit;

/// <summary>
/// The laws every sampler keeps, over random step counts (1–30), seeds and batch sizes (1–3). Each throws
/// (<see cref="SamplerLawException"/> or FsCheck's failure with the counterexample) when the sampler breaks it. A plugin's
/// test project calls <see cref="All"/> (or each law) on its sampler; the repository runs the same laws on every built-in
/// and first-party sampler.
/// </summary>
public static class SamplerLaws
{
    /// <summary>Every law in turn.</summary>
    public static void All(ISampler sampler)
    {
        EndsAtX0(sampler);
        Deterministic(sampler);
        NoLeaks(sampler);
        ReportsAndCancels(sampler);
    }

    /// <summary>Random (steps, seed, batch) of a sampler run.</summary>
    public static Arbitrary<(int Steps, int Seed, int Batch)> Runs =>
        (from steps in Gen.Choose(1, 30) from seed in Gen.Choose(0, 100000) from batch in Gen.Choose(1, 3) select (steps, seed, batch)).ToArbitrary();

    /// <summary>Karras et al.'s ρ = 7 schedule from 14.6 to 0.03 over <paramref name="steps"/> steps, then 0.</summary>
    public static Sigmas Schedule(int steps)
    {
        double max = Math.Pow(14.6, 1 / 7.0), min = Math.Pow(0.03, 1 / 7.0);
        return new Sigmas(Enumerable.Range(0, steps).Select(i => (float)Math.Pow(max + (steps == 1 ? 0 : (double)i / (steps - 1)) * (min - max), 7))).WithFinalZero();
    }

    static Tensor Shrink(Tensor x, Tensor sigma) => x / (1 + SamplingMath.AppendDims(sigma, x.dim()).pow(2));

    /// <summary>With a denoiser that always answers x0 the sampler ends at x0 (within 1e-5).</summary>
    public static void EndsAtX0(ISampler sampler) => Prop.ForAll(Runs, run =>
    {
        using var scope = NewDisposeScope();
        using var noise = new SeededNoise(run.Seed);
        var x0 = noise.Normal(new long[] { run.Batch, 4, 4, 4 });
        var x = noise.Normal(x0.shape);
        var result = sampler.Sample((xx, s) => x0.expand_as(xx).clone(), x, Schedule(run.Steps), noise);
        var err = (result - x0).abs().max().item<float>();
        return (err <= 1e-5f).Label($"max |x - x0| = {err}");
    }).QuickCheckThrowOnFailure();

    /// <summary>Two runs with equal noise sources give bit-identical results.</summary>
    public static void Deterministic(ISampler sampler) => Prop.ForAll(Runs, run =>
    {
        using var scope = NewDisposeScope();
        var x = randn(run.Batch, 4, 4, 4, generator: new Generator((ulong)run.Seed));
        using var n1 = new SeededNoise(run.Seed);
        using var n2 = new SeededNoise(run.Seed);
        var a = sampler.Sample(Shrink, x, Schedule(run.Steps), n1);
        var b = sampler.Sample(Shrink, x, Schedule(run.Steps), n2);
        return a.eq(b).all().item<bool>();
    }).QuickCheckThrowOnFailure();

    /// <summary>Apart from its result, a run leaves no live tensor behind on the calling thread.</summary>
    public static void NoLeaks(ISampler sampler)
    {
        using var x = randn(2, 4, 4, 4);
        using var noise = new SeededNoise(7);
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var result = sampler.Sample(Shrink, x, Schedule(12), noise)) { }
        var after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        if (before != after) throw new SamplerLawException($"{after - before} live tensors left behind by one run");
    }

    /// <summary>The step callback sees every step with its σ in order, and a cancelled token stops the run at once.</summary>
    public static void ReportsAndCancels(ISampler sampler)
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 4, 4, 4);
        using var noise = new SeededNoise(3);
        var seen = new List<(int Index, float Sigma)>();
        var sigmas = Schedule(9);
        sampler.Sample(Shrink, x, sigmas, noise, new SamplingOptions(s => seen.Add((s.Index, s.Sigma))));
        if (!seen.Select(s => s.Index).SequenceEqual(Enumerable.Range(0, 9)))
            throw new SamplerLawException($"steps reported {string.Join(",", seen.Select(s => s.Index))}, expected 0..8");
        if (!seen.Select(s => s.Sigma).SequenceEqual(sigmas.Take(9)))
            throw new SamplerLawException("the reported σ are not the schedule's");
        using var cts = new CancellationTokenSource();
        int steps = 0;
        try
        {
            sampler.Sample(Shrink, x, sigmas, noise, new SamplingOptions(_ => { if (++steps == 3) cts.Cancel(); }, cts.Token));
            throw new SamplerLawException("a cancelled run finished");
        }
        catch (OperationCanceledException) { }
        if (steps != 3) throw new SamplerLawException($"the run went on for {steps - 3} steps after cancellation");
    }
}

/// <summary>A sampler broke one of <see cref="SamplerLaws"/>.</summary>
public sealed class SamplerLawException(string message) : Exception(message);
