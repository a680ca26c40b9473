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

/// <summary>The sampler laws of the test kit (the SdxlSharp.TestKit package plugin authors use) over the registry.</summary>
static class SamplerSuite
{
    /// <summary>Built-ins plus the first-party plugins' registrations (what the host loads).</summary>
    public static ComponentRegistry Registry => Pipeline.Tests.Plugins.PluginRegistry.Snapshot;

    public static void EndsAtX0(ISampler sampler) => Pipeline.TestKit.SamplerLaws.EndsAtX0(sampler);
    public static void Deterministic(ISampler sampler) => Pipeline.TestKit.SamplerLaws.Deterministic(sampler);
    public static void NoLeaks(ISampler sampler) => Pipeline.TestKit.SamplerLaws.NoLeaks(sampler);
    public static void ReportsAndCancels(ISampler sampler) => Pipeline.TestKit.SamplerLaws.ReportsAndCancels(sampler);
}
