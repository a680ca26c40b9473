using FsCheck;
using FsCheck.Fluent;
using Guiders.Rescale;
using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Guidance;
using Pipeline.Tests.Properties;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Plugins;

/// <summary>
/// CFG rescale against its reference formulas, written out in float64 the way each reference states them: ComfyUI's
/// <c>RescaleCFG</c> (convert both branches to v, CFG, match std, blend, convert back) and diffusers'
/// <c>rescale_noise_cfg</c> on ε predictions (ε = (x − x̂₀)/σ).
/// </summary>
public class RescaleCFGTests
{
    static Arbitrary<(int Seed, int Batch, double Scale, double Rescale)> Runs =>
        (from seed in Gen.Choose(0, 100000) from batch in Gen.Choose(1, 3) from scale in Gen.Choose(0, 150) from phi in Gen.Choose(0, 100)
         select (seed, batch, scale / 10.0, phi / 100.0)).ToArbitrary();

    static Tensor Std(Tensor t) => t.std(new long[] { 1, 2, 3 }, unbiased: true, keepdim: true);

    /// <summary>ComfyUI's RescaleCFG: v = (x/(σ²+1) − x̂₀)·√(σ²+1)/σ; x̂₀ = x/(σ²+1) − v·σ/√(σ²+1).</summary>
    static Tensor ReferenceV(Tensor x, Tensor sigma, Tensor cond, Tensor uncond, double scale, double phi)
    {
        var s = SamplingMath.AppendDims(sigma, 4);
        Tensor ToV(Tensor d) => (x / (s * s + 1) - d) * (s * s + 1).sqrt() / s;
        var vc = ToV(cond);
        var vu = ToV(uncond);
        var vcfg = vu + scale * (vc - vu);
        var rescaled = vcfg * (Std(vc) / Std(vcfg));
        var v = phi * rescaled + (1 - phi) * vcfg;
        return x / (s * s + 1) - v * s / (s * s + 1).sqrt();
    }

    /// <summary>diffusers' guidance_rescale on an ε model: ε = (x − x̂₀)/σ; x̂₀ = x − σ·ε.</summary>
    static Tensor ReferenceEpsilon(Tensor x, Tensor sigma, Tensor cond, Tensor uncond, double scale, double phi)
    {
        var s = SamplingMath.AppendDims(sigma, 4);
        var ec = (x - cond) / s;
        var eu = (x - uncond) / s;
        var ecfg = eu + scale * (ec - eu);
        var rescaled = ecfg * (Std(ec) / Std(ecfg));
        var e = phi * rescaled + (1 - phi) * ecfg;
        return x - s * e;
    }

    static bool MatchesReference(RescaleSpace space, (int Seed, int Batch, double Scale, double Rescale) run, out double err)
    {
        using var scope = NewDisposeScope();
        var c = GuidanceCase.From(run.Seed, run.Batch);
        var actual = c.Guide(new RescaleCFG(run.Scale, run.Rescale, space));
        var (x, s, cd, ud) = (c.X.to(ScalarType.Float64), c.Sigma.to(ScalarType.Float64), c.Conditional.to(ScalarType.Float64), c.Unconditional.to(ScalarType.Float64));
        var expected = space == RescaleSpace.V ? ReferenceV(x, s, cd, ud, run.Scale, run.Rescale) : ReferenceEpsilon(x, s, cd, ud, run.Scale, run.Rescale);
        err = GuidanceCase.MaxRelativeError(actual, expected);
        return err <= 2e-5;
    }

    [Fact]
    public void The_v_form_matches_ComfyUIs_RescaleCFG_formula() => Prop.ForAll(Runs, run =>
        MatchesReference(RescaleSpace.V, run, out var err).Label($"relative error {err}")).QuickCheckThrowOnFailure();

    [Fact]
    public void The_epsilon_form_matches_diffusers_guidance_rescale_formula() => Prop.ForAll(Runs, run =>
        MatchesReference(RescaleSpace.Epsilon, run, out var err).Label($"relative error {err}")).QuickCheckThrowOnFailure();

    [Fact]
    public void Rescale_zero_is_plain_CFG_bit_for_bit() => Prop.ForAll(Runs, run =>
    {
        using var scope = NewDisposeScope();
        var c = GuidanceCase.From(run.Seed, run.Batch);
        return c.Guide(new RescaleCFG(run.Scale, 0.0)).eq(c.Guide(new VanillaCFG(run.Scale))).all().item<bool>();
    }).QuickCheckThrowOnFailure();

    [Fact]
    public void Full_rescale_gives_the_guided_prediction_the_conditional_predictions_std() => Prop.ForAll(Runs, run =>
    {
        using var scope = NewDisposeScope();
        var c = GuidanceCase.From(run.Seed, run.Batch);
        var guided = c.Guide(new RescaleCFG(run.Scale, 1.0, RescaleSpace.Epsilon));
        var ratio = (Std(c.X - guided) / Std(c.X - c.Conditional)).flatten();
        double worst = (ratio - 1).abs().max().item<float>();
        return (worst <= 1e-4).Label($"std ratio off by {worst}");
    }).QuickCheckThrowOnFailure();

    [Fact]
    public void The_plugin_registers_both_forms_and_the_registry_sets_their_scale()
    {
        var registry = PluginRegistry.Snapshot;
        Assert.Equal("Guiders.Rescale", registry.Registration(ComponentKind.Guider, "guidance_rescale").Origin);
        Assert.Equal(new RescaleCFG(7.5, 0.7, RescaleSpace.V), registry.Guider("guidance_rescale", 7.5));
        Assert.Equal(new RescaleCFG(3.0, 0.7, RescaleSpace.Epsilon), registry.Guider("guidance_rescale_eps", 3.0));
    }

    [Fact]
    public void Invalid_knobs_fail_with_the_knob_and_its_range()
    {
        using var scope = NewDisposeScope();
        var c = GuidanceCase.From(1, 1);
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => c.Guide(new RescaleCFG(5.0, 1.5)));
        Assert.Contains("rescale 1.5 must be in [0, 1]", ex.Message);
    }
}
