using System.Collections.Immutable;
using Pipeline.Conditioning;
using Pipeline.Diffusion.Sampling;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Stages;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>
/// The stages composed by hand give bit-identical latents to the plan run, for every kind of plan: the executor is the
/// composition of the stages, nothing else. (The CLI side is <see cref="CliPlanEquivalenceTests"/>.)
/// </summary>
public sealed class PlanEquivalenceTests : IDisposable
{
    readonly SdxlModel _base = SdxlModel.Create(TinyModels.Base);
    readonly SdxlModel _refiner = SdxlModel.Create(TinyModels.Refiner);

    public void Dispose()
    {
        _base.Dispose();
        _refiner.Dispose();
    }

    GenerationPlan Plan(int steps = 6, string sampler = "euler_ancestral") => TinyPlans.TextToImage(_base, steps: steps, seed: 21, sampler: sampler, negative: "green");

    /// <summary>Tokenize → Condition → Noise → Denoise over <paramref name="sigmas"/>, by hand.</summary>
    static Tensor BaseByHand(GenerationPlan p, Pipeline.Diffusion.Sigmas sigmas, INoiseSource noise)
    {
        var tokens = PromptTokenizer.Run(p.Rows);
        using var conditioning = ConditionStage.Run(p.Model.Conditioner, tokens, p.Rows);
        using var x = NoiseStage.Initial(noise, p.Model.Config.LatentShape(p.Rows.Length, p.Size.Height, p.Size.Width), sigmas, p.Model.Device);
        return DenoiseStage.Run(p.Model, x, sigmas, conditioning, p.Sampler, p.Guider, noise);
    }

    ImmutableArray<PromptRow> RefinerRows(GenerationPlan p) =>
        p.Rows.Select(r => r with { Micro = r.Micro with { AestheticScore = 6.0, NegativeAestheticScore = 2.5 } }).ToImmutableArray();

    [Fact]
    public void Txt2img_by_stages_equals_the_plan()
    {
        var plan = Plan();
        using var noise = new SeededNoise(plan.Seed);
        using var byHand = BaseByHand(plan, plan.Sigmas, noise);
        using var planned = plan.RunLatents();
        Assert.True(TinyPlans.Same(byHand, planned));
    }

    [Fact]
    public void Img2img_by_stages_equals_the_plan_and_a_txt2img_latent_can_start_another_plan()
    {
        using var image = rand(1, 3, 40, 32, generator: new Generator(5));
        var plan = Plan(steps: 8).WithInit(InitInput.FromImage(image, 0.5));
        var tail = plan.Sigmas.From(ScheduleSplit.Img2ImgStart(8, 0.5));
        using (var noise = new SeededNoise(plan.Seed))
        using (var conditioning = ConditionStage.Run(_base.Conditioner, plan.Rows))
        using (var clean = EncodeStage.Run(_base, image, 1))
        using (var x = NoiseStage.Renoise(noise, clean, tail[0]))
        using (var byHand = DenoiseStage.Run(_base, x, tail, conditioning, plan.Sampler, plan.Guider, noise))
        using (var planned = plan.RunLatents())
            Assert.True(TinyPlans.Same(byHand, planned));

        using var first = Plan().RunLatents();
        var second = Plan(steps: 8).WithInit(InitInput.FromLatent(first, 0.25));
        var secondTail = second.Sigmas.From(ScheduleSplit.Img2ImgStart(8, 0.25));
        using (var noise = new SeededNoise(second.Seed))
        using (var conditioning = ConditionStage.Run(_base.Conditioner, second.Rows))
        using (var x = NoiseStage.Renoise(noise, first, secondTail[0]))
        using (var byHand = DenoiseStage.Run(_base, x, secondTail, conditioning, second.Sampler, second.Guider, noise))
        using (var planned = second.RunLatents())
            Assert.True(TinyPlans.Same(byHand, planned));
    }

    [Fact]
    public void Handoff_by_stages_equals_the_plan()
    {
        var plan = Plan(steps: 10);
        var step = RefinerStep.Handoff(_refiner, 0.7, plan.Sampler, plan.Guider);
        int k = ScheduleSplit.HandoffIndex(10, 0.7);
        Tensor byHand;
        using (var noise = new SeededNoise(plan.Seed))
        using (var atBoundary = BaseByHand(plan, ScheduleSplit.Until(plan.Sigmas, k), noise))
        using (var refinerNoise = new SeededNoise(plan.Seed + 1))
        using (var conditioning = ConditionStage.Run(_refiner.Conditioner, RefinerRows(plan)))
            byHand = RefineStage.Handoff(_refiner, atBoundary, plan.Sigmas.From(k), conditioning, step.Sampler, step.Guider, refinerNoise);
        using (byHand)
        using (var planned = plan.WithRefiner(step).RunLatents())
            Assert.True(TinyPlans.Same(byHand, planned));
    }

    [Fact]
    public void SDEdit_refinement_by_stages_equals_the_plan()
    {
        var plan = Plan(steps: 5);
        var step = RefinerStep.SdEdit(_refiner, 0.3, 4, plan.Sampler, plan.Guider);
        Tensor byHand;
        using (var noise = new SeededNoise(plan.Seed))
        using (var finished = BaseByHand(plan, plan.Sigmas, noise))
        using (var refinerNoise = new SeededNoise(plan.Seed + 1))
        using (var conditioning = ConditionStage.Run(_refiner.Conditioner, RefinerRows(plan)))
            byHand = RefineStage.SdEdit(_refiner, finished, ScheduleSplit.SdEdit(0.3, 4), conditioning, step.Sampler, step.Guider, refinerNoise);
        using (byHand)
        using (var planned = plan.WithRefiner(step).RunLatents())
            Assert.True(TinyPlans.Same(byHand, planned));
    }

    [Fact]
    public void A_mixed_batch_by_stages_equals_the_plan_and_each_row_equals_its_own_plan()
    {
        var size = TinyPlans.Size;
        var plan = Plan(sampler: "euler") with
        {
            Rows =
            [
                new PromptRow("a red circle", "", MicroConditioning.ForImage(size)),
                new PromptRow("a blue square", "green", new MicroConditioning(new ImageSize(16, 16), new CropCoords(8, 4), size)),
                new PromptRow("a yellow star", "", new MicroConditioning(new ImageSize(128, 128), default, new ImageSize(64, 64), 3.0)),
            ],
        };
        using var noise = new SeededNoise(plan.Seed);
        using var byHand = BaseByHand(plan, plan.Sigmas, noise);
        using var planned = plan.RunLatents();
        Assert.True(TinyPlans.Same(byHand, planned));

        // The same rows conditioned once outside the plan give the same latents (precomputed conditioning).
        using var conditioning = ConditionStage.Run(_base.Conditioner, plan.Rows);
        using var reused = plan.WithConditioning(conditioning).RunLatents();
        Assert.True(TinyPlans.Same(planned, reused));
    }

    [Fact]
    public void One_conditioning_serves_many_seeds()
    {
        var plan = Plan();
        using var conditioning = ConditionStage.Run(_base.Conditioner, plan.Rows);
        foreach (var seed in new long[] { 1, 2, 3 })
        {
            using var fresh = plan.WithSeed(seed).RunLatents();
            using var reused = plan.WithSeed(seed).WithConditioning(conditioning).RunLatents();
            Assert.True(TinyPlans.Same(fresh, reused));
        }
    }
}
