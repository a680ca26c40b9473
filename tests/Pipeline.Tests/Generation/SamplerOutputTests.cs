using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Sampling;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Stages;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>No silent wrong output: what a sampler returns is checked before anything is decoded.</summary>
public class SamplerOutputTests
{
    /// <summary>A broken plugin sampler: returns <paramref name="make"/> of the input instead of sampling.</summary>
    sealed record BrokenSampler(Func<Tensor, Tensor> Make) : ISampler
    {
        public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) => Make(x);
    }

    static GenerationPlan With(SdxlModel model, Func<Tensor, Tensor> make) =>
        TinyPlans.TextToImage(model, steps: 2).WithSampler(new BrokenSampler(make), "broken");

    [Fact]
    public void Non_finite_latents_fail_the_run_naming_the_sampler()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var e = Assert.Throws<SamplerOutputException>(() => With(model, x => full_like(x, float.NaN)).Run());
        Assert.Contains("sampler 'broken', from Pipeline.Tests (", e.Message);   // the assembly that provided it
        Assert.Contains("non-finite", e.Message);
        e = Assert.Throws<SamplerOutputException>(() => With(model, x => full_like(x, float.PositiveInfinity)).RunLatents());
        Assert.Contains("non-finite", e.Message);
    }

    [Fact]
    public void A_resized_latent_fails_the_run_instead_of_being_written_with_the_wrong_size()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var e = Assert.Throws<SamplerOutputException>(() => With(model, x => x[.., .., ..3, ..3].clone()).Run());
        Assert.Contains("shape [1, 4, 3, 3] where [1, 4, 5, 4] was expected", e.Message);
    }

    /// <summary>A discretization that ignores the requested step count.</summary>
    sealed record OneStep : IDiscretization
    {
        public Sigmas GetSigmas(int steps, bool appendZero = true) => new(new[] { 14.6f, 0f });
    }

    [Fact]
    public void A_schedule_with_another_step_count_than_requested_is_refused()
    {
        var registry = ComponentRegistry.BuiltIns.Add(new ComponentRegistration(ComponentKind.Discretization, "one_step", new OneStep(), "test plugin", "ignores the step count"));
        var e = Assert.Throws<InvalidOperationException>(() => registry.Schedule("one_step", 4));
        Assert.Contains("'one_step' (test plugin)", e.Message);
        Assert.Contains("returned 1 steps for 4 requested", e.Message);
    }
}

/// <summary>PNG parameters of a plan whose guider is not plain CFG.</summary>
public class GuiderParameterTests
{
    [Fact]
    public void A_plugin_guider_is_recorded_with_its_scale_and_knobs_not_NaN()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var rescale = new Guiders.Rescale.RescaleCFG(Scale: 3.5, Rescale: 0.7);
        var plan = TinyPlans.TextToImage(model, steps: 2) with { Guider = rescale };
        var p = PlanParameters.For(plan)[0];
        Assert.Equal(3.5, p.CfgScale);
        var text = p.ToA1111();
        Assert.Contains("CFG scale: 3.5", text);
        Assert.Contains("Guider: \"RescaleCFG(", text);   // A1111 quotes values that hold commas
        Assert.Contains("Rescale=0.7", text);
    }
}
