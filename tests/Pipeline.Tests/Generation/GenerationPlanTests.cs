using Pipeline.Checkpoints;
using Pipeline.Components;
using Pipeline.Diffusion.Guidance;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Stages;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

public class GenerationPlanTests
{
    [Fact]
    public void Same_seed_gives_bit_identical_latents_and_another_seed_does_not()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var plan = TinyPlans.TextToImage(model);
        using var a = plan.RunLatents();
        using var b = plan.RunLatents();
        using var c = plan.WithSeed(12).RunLatents();
        Assert.Equal(new long[] { 1, 4, 5, 4 }, a.shape);
        Assert.True(TinyPlans.Same(a, b));
        Assert.False(TinyPlans.Same(a, c));
    }

    [Fact]
    public void A_plan_run_decodes_to_images_with_parameters_and_leaves_no_tensors_behind()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var plan = TinyPlans.TextToImage(model, batch: 2, negative: "green");
        using (var warm = plan.Run()) { }
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var result = plan.Run())
        {
            Assert.Equal(new long[] { 2, 3, 40, 32 }, result.Images.shape);
            using (var min = result.Images.min()) Assert.InRange(min.item<float>(), 0f, 1f);
            using (var max = result.Images.max()) Assert.InRange(max.item<float>(), 0f, 1f);
            Assert.Equal(2, result.Parameters.Count);
            Assert.Equal("green", result.Parameters[1].NegativePrompt);
            Assert.Equal("1", result.Parameters[1].Extra!["Batch index"]);
            Assert.Equal("euler", result.Parameters[0].Sampler);
            Assert.Equal("legacy_ddpm", result.Parameters[0].Schedule);
            Assert.Equal(2.0, result.Parameters[0].CfgScale);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Unknown_names_fail_at_the_edge_and_bad_plans_before_any_work_with_every_problem()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var ex = Assert.Throws<UnknownComponentException>(() => TinyPlans.TextToImage(model, sampler: "eulr"));
        Assert.Contains("valid: dpmpp_2m, dpmpp_2s_ancestral, euler", ex.Message);
        Assert.Contains("unknown discretization 'karas'", Assert.Throws<UnknownComponentException>(() =>
            TinyPlans.Registry.Schedule("karas", 10)).Message);

        var bad = TinyPlans.TextToImage(model) with { Size = new(40, 30), Guider = new VanillaCFG(double.NaN) };
        var error = Assert.Throws<ArgumentException>(() => bad.RunLatents());
        Assert.Contains("width 30 must be a positive multiple of 8", error.Message);
        Assert.Contains("cfg scale NaN", error.Message);
        Assert.Contains("steps 0 must be in 1..1000", Assert.Throws<ArgumentException>(() => TinyPlans.TextToImage(model, steps: 0)).Message);
        Assert.Contains("is not a refiner model", Assert.Throws<ArgumentException>(() =>
            TinyPlans.TextToImage(model).WithRefiner(RefinerStep.Handoff(model, 0.8, new Pipeline.Diffusion.Sampling.EulerEDMSampler(), new IdentityGuider())).RunLatents()).Message);
    }

    [Fact]
    public void A_saved_model_loads_back_unchanged_in_the_single_file_layout()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tiny-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var model = SdxlModel.Create(TinyModels.Base);
            model.Save(path, ScalarType.Float32);
            using (var file = SafeTensorsFile.Open(path))
            {
                Assert.Equal(SdxlModelKind.Base, CheckpointLayout.Detect(file));
                Assert.Contains(file.Entries.Keys, k => k.StartsWith("model.diffusion_model.input_blocks.0.0.weight"));
                Assert.Contains(file.Entries.Keys, k => k.StartsWith("first_stage_model.decoder.conv_out.weight"));
                Assert.Contains(file.Entries.Keys, k => k.StartsWith("conditioner.embedders.1.model.text_projection"));
            }
            using var loaded = SdxlModel.Load(path, TinyModels.Base);
            var plan = TinyPlans.TextToImage(model);
            using var a = plan.RunLatents();
            using var b = (plan with { Model = loaded }).RunLatents();
            Assert.True(TinyPlans.Same(a, b));
            Assert.NotNull(loaded.Hash);

            var wrongKind = Assert.Throws<ArgumentException>(() => SdxlModel.Load(path, TinyModels.Refiner));
            Assert.Contains("base", wrongKind.Message);
            var wrongShape = Assert.Throws<StateDictMismatchException>(() => SdxlModel.Load(path, TinyModels.Base with
            {
                UNet = TinyModels.Base.UNet with { ModelChannels = 64 },
            }));
            Assert.Contains("mis-shaped", wrongShape.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_refiner_runs_in_both_modes_and_reports_its_mode()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        using var refiner = SdxlModel.Create(TinyModels.Refiner);
        var plan = TinyPlans.TextToImage(model, steps: 10);
        foreach (var step in new[] { RefinerStep.Handoff(refiner, 0.8, plan.Sampler, plan.Guider), RefinerStep.SdEdit(refiner, 0.3, 4, plan.Sampler, plan.Guider) })
        {
            var refined = plan.WithRefiner(step);
            int reported = 0;
            using var result = refined.Run(new InlineProgress<PlanProgress>(p => { reported++; Assert.Equal(refined.TotalSteps, p.Total); }));
            Assert.Equal(new long[] { 1, 3, 40, 32 }, result.Images.shape);
            Assert.False(result.Latents.isnan().any().item<bool>());
            Assert.Equal(step.Mode.ToString().ToLowerInvariant(), result.Parameters[0].Extra!["Refiner mode"]);
            Assert.Equal(step.Mode == RefinerMode.Handoff ? 10 : 14, reported);
        }
        Assert.Contains("strength", Assert.Throws<ArgumentException>(() =>
            plan.WithRefiner(RefinerStep.SdEdit(refiner, 1.5, 4, plan.Sampler, plan.Guider)).RunLatents()).Message);
    }

    [Fact]
    public void Img2img_runs_the_tail_of_the_schedule_and_is_deterministic()
    {
        Assert.Equal(6, ScheduleSplit.Img2ImgStart(10, 0.4));
        Assert.Equal(0, ScheduleSplit.Img2ImgStart(10, 1.0));
        Assert.Equal(9, ScheduleSplit.Img2ImgStart(10, 0.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => ScheduleSplit.Img2ImgStart(10, 0));

        using var model = SdxlModel.Create(TinyModels.Base);
        using var image = rand(1, 3, 32, 24, generator: new Generator(3));
        var plan = TinyPlans.TextToImage(model, "a blue square", steps: 6, seed: 2, size: new(32, 24)).WithInit(InitInput.FromImage(image, 0.5));
        int calls = 0;
        using var a = plan.Run(new InlineProgress<PlanProgress>(_ => calls++));
        using var b = plan.Run();
        Assert.Equal(3, calls);
        Assert.Equal(new long[] { 1, 3, 32, 24 }, a.Images.shape);
        Assert.True(TinyPlans.Same(a.Latents, b.Latents));
        Assert.Equal(24, a.Parameters[0].Width);
        Assert.Equal("0.5", a.Parameters[0].Extra!["Denoising strength"]);
        Assert.Contains("the init image is [1, 3, 32, 24]", Assert.Throws<ArgumentException>(() => (plan with { Size = new(40, 32) }).RunLatents()).Message);
    }

    [Fact]
    public void A_one_row_batch_equals_text_to_image_and_rows_keep_their_own_prompts()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var plan = TinyPlans.TextToImage(model, "a red circle", steps: 3, seed: 4, size: new(32, 32));
        using var reference = plan.RunLatents();
        var row = plan.Rows[0];
        using var mixed = (plan with { Rows = [row, row with { Text = "a blue square" }, row with { Negative = "green" }] }).RunLatents();
        Assert.Equal(3, mixed.shape[0]);
        Assert.False(TinyPlans.Same(mixed[0], mixed[1]));
        Assert.False(TinyPlans.Same(mixed[0], mixed[2]));
    }

    [Fact]
    public void Cancellation_stops_a_plan_between_steps()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        using var cts = new CancellationTokenSource();
        int steps = 0;
        Assert.Throws<OperationCanceledException>(() =>
            TinyPlans.TextToImage(model, steps: 6).RunLatents(new InlineProgress<PlanProgress>(_ => { if (++steps == 2) cts.Cancel(); }), cts.Token));
        Assert.Equal(2, steps);
    }
}
