using Pipeline.Components;
using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Generation;
using Pipeline.Tests.Stages;
using Pipeline.Training.Evaluation;
using Pipeline.Training.World;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary>The evaluation measures what the CLI runs: its rows are plans run by the one executor.</summary>
public class EvaluationPlanTests
{
    [Fact]
    public void An_evaluation_row_shows_the_images_of_its_plan()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var s = new EvaluationSettings(SamplesPerRow: 3, Steps: 2, BatchSize: 3);
        var (_, preview) = TinyEvaluation.Row(model, ComponentRegistry.BuiltIns, s, "g", "l", new(32, 32), new(16, 16), new(8, 8));
        using (preview)
        {
            using var result = TinyEvaluation.Plan(model, ComponentRegistry.BuiltIns, s, new(32, 32), 0, 3, new(16, 16), new(8, 8)).Run();
            var cells = Enumerable.Range(0, 3).Select(i => result.Images[i]).ToList();
            using var expected = ImageGrid.Compose(cells, 3, rowLabels: new[] { "l" });
            foreach (var c in cells) c.Dispose();
            Assert.True(TinyPlans.Same(expected, preview));
        }
    }

    [Fact]
    public void An_evaluation_plan_is_the_plan_the_cli_builds_for_the_same_prompt_row()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        using var refiner = SdxlModel.Create(TinyModels.Refiner);
        var s = new EvaluationSettings(SamplesPerRow: 1, Steps: 6, BatchSize: 1);
        var caption = EvaluationPrompts.At(0).Caption;
        foreach (var mode in new RefinerMode?[] { null, RefinerMode.Handoff, RefinerMode.SDEdit })
        {
            var refine = mode is { } m ? TinyEvaluation.RefinerFor(refiner, ComponentRegistry.BuiltIns, s, m) : null;
            var evaluation = TinyEvaluation.Plan(model, ComponentRegistry.BuiltIns, s, new(32, 32), 0, 1, refine: refine);
            // What `sdxl txt2img "<caption>" --sampler euler --cfg 2 --steps 6 --seed <seed> [--refiner … --refiner-mode …]` builds.
            var cli = ComponentRegistry.BuiltIns.TextToImage(model, caption, new(32, 32), s.Sampler, s.Schedule, s.Steps, s.CfgScale, s.Seed)
                .WithRefiner(refine is null ? null : new RefinerStep(refiner, refine.Mode, refine.Mode == RefinerMode.Handoff ? 0.8 : 0.3,
                    ComponentRegistry.BuiltIns.Sampler(s.Sampler), Pipeline.Diffusion.Guidance.CfgScale.Guider(s.CfgScale)));
            using var a = evaluation.RunLatents();
            using var b = cli.RunLatents();
            Assert.True(TinyPlans.Same(a, b), $"refiner {mode?.ToString() ?? "none"}");
        }
    }
}
