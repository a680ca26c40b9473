using Pipeline.Components;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Stages;
using Pipeline.Training.Evaluation;
using Xunit;

namespace Pipeline.Tests.Training;

public class TinyEvaluationTests
{
    [Fact]
    public void An_evaluation_row_counts_detections_over_its_samples_and_is_deterministic()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var s = new EvaluationSettings(SamplesPerRow: 6, Steps: 2, BatchSize: 4);
        var (a, pa) = TinyEvaluation.Row(model, ComponentRegistry.BuiltIns, s, "g", "l", new(32, 32));
        var (b, pb) = TinyEvaluation.Row(model, ComponentRegistry.BuiltIns, s, "g", "l", new(32, 32));
        using (pa) using (pb)
        {
            Assert.Equal(a, b);
            Assert.Equal(6, a.Samples);
            foreach (var v in new[] { a.Color, a.Background, a.Shape, a.All, a.CutRate }) Assert.InRange(v, 0, 1);
            Assert.True(a.All <= Math.Min(a.Color, Math.Min(a.Shape, a.Background)));
            Assert.Equal(3, pa.shape[0]);
        }
        Assert.StartsWith("| g | l | 6 |", a.ToMarkdown());
    }
}
