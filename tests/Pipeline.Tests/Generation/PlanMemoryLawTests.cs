using Pipeline.Diffusion.Sampling;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Models;
using Pipeline.Tests.Stages;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>A plan run and a stage-by-stage run leave the thread's live tensor count where it was.</summary>
public sealed class PlanMemoryLawTests(ITestOutputHelper output) : IDisposable
{
    readonly SdxlModel _base = SdxlModel.Create(TinyModels.Base);
    readonly SdxlModel _refiner = SdxlModel.Create(TinyModels.Refiner);

    public void Dispose()
    {
        _base.Dispose();
        _refiner.Dispose();
    }

    void AssertNoLeak(string what, Action run) => MemoryLaw.AssertNoLeak(output, what, run);

    [Fact]
    public void Plan_runs_of_every_kind_leave_no_live_tensors()
    {
        var plan = TinyPlans.TextToImage(_base, steps: 6, sampler: "euler_ancestral", negative: "green", batch: 2);
        using var image = rand(1, 3, 40, 32);
        AssertNoLeak("txt2img plan (decoded)", () => plan.Run().Dispose());
        AssertNoLeak("img2img plan", () => plan.WithInit(InitInput.FromImage(image, 0.5)).RunLatents().Dispose());
        AssertNoLeak("handoff plan", () => plan.WithRefiner(RefinerStep.Handoff(_refiner, 0.7, plan.Sampler, plan.Guider)).RunLatents().Dispose());
        AssertNoLeak("SDEdit plan", () => plan.WithRefiner(RefinerStep.SdEdit(_refiner, 0.3, 3, plan.Sampler, plan.Guider)).RunLatents().Dispose());
        AssertNoLeak("mixed batch plan", () => (plan with { Rows = [plan.Rows[0], plan.Rows[0] with { Text = "x", Negative = "" }] }).RunLatents().Dispose());
    }

    [Fact]
    public void A_stage_by_stage_run_leaves_no_live_tensors()
    {
        var plan = TinyPlans.TextToImage(_base, steps: 4, sampler: "euler_ancestral");
        AssertNoLeak("tokenize → condition → noise → denoise → decode", () =>
        {
            var tokens = PromptTokenizer.Run(plan.Rows);
            using var conditioning = ConditionStage.Run(_base.Conditioner, tokens, plan.Rows);
            using var noise = new SeededNoise(plan.Seed);
            using var x = NoiseStage.Initial(noise, plan.LatentShape, plan.Sigmas, _base.Device);
            using var latents = DenoiseStage.Run(_base, x, plan.Sigmas, conditioning, plan.Sampler, plan.Guider, noise);
            using var images = DecodeStage.Run(_base.FirstStage, latents);
            using var encoded = EncodeStage.Run(_base, images, 1);
        });
    }
}
