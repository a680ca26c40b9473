using Pipeline.Adapters;
using Pipeline.Components;
using Pipeline.Conditioning;
using Pipeline.Models.Bundles;
using Pipeline.Training.Evaluation;
using Pipeline.Training.World;
using static TorchSharp.torch;

namespace Pipeline.Training.Lora;

/// <summary>
/// What a concept LoRA does, measured with the world detector (palette: <see cref="ShapeWorld.ExtendedColors"/>) at
/// 64×64 through the evaluation's plan runs (the adapter merged with <see cref="AdapterMerge.Apply(SdxlModel, Adapter, double)"/>):
/// the concept as the object and as the background, without and with the LoRA; the base world's prompts
/// (<see cref="EvaluationPrompts"/>) without the LoRA, at strength 0 and at strength 1.
/// </summary>
public static class LoraConceptEvaluation
{
    /// <summary>Prompt k with the concept as the object: shape k mod 3, background colour (k / 3) mod 8 of the base palette.</summary>
    public static WorldLabels ConceptObject(WorldColor concept, long k) =>
        new(concept, ShapeWorld.Shapes[(int)(k % 3)], ShapeWorld.Colors[(int)(k / 3 % ShapeWorld.Colors.Count)]);

    /// <summary>Prompt k with the concept as the background: shape k mod 3, object colour (k / 3) mod 8 of the base palette.</summary>
    public static WorldLabels ConceptBackground(WorldColor concept, long k) =>
        new(ShapeWorld.Colors[(int)(k / 3 % ShapeWorld.Colors.Count)], ShapeWorld.Shapes[(int)(k % 3)], concept);

    /// <summary>The rows (and, in <paramref name="gridFolder"/>, a preview grid per row group). <paramref name="identical"/>
    /// says whether strength 0 reproduced the no-LoRA row, and its first batch of images bit for bit.</summary>
    public static IReadOnlyList<EvaluationRow> Run(SdxlModel model, Adapter lora, ComponentRegistry registry, EvaluationSettings s,
        WorldColor concept, int conceptSamples, int baseSamples, out bool identical, Action<string>? log = null, string? gridFolder = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(lora);
        var square = new ImageSize(64, 64);
        var palette = ShapeWorld.ExtendedColors;
        var rows = new List<EvaluationRow>();
        var previews = new List<Tensor>();
        try
        {
            (EvaluationRow, Tensor) Measure(string group, string label, Func<long, WorldLabels> prompts, int n, double? strength)
            {
                using var merge = strength is { } st ? AdapterMerge.Apply(model, lora, st) : null;
                var (row, preview) = TinyEvaluation.Row(model, registry, s, group, label, square, samples: n, prompts: prompts, palette: palette);
                rows.Add(row);
                previews.Add(preview);
                log?.Invoke(row.ToMarkdown());
                return (row, preview);
            }
            Func<long, WorldLabels> asObject = k => ConceptObject(concept, k), asBackground = k => ConceptBackground(concept, k);
            string obj = $"{concept.Name} object", bg = $"{concept.Name} background";
            Measure(obj, "no LoRA", asObject, conceptSamples, null);
            Measure(obj, "LoRA strength 1", asObject, conceptSamples, 1.0);
            Measure(bg, "no LoRA", asBackground, conceptSamples, null);
            Measure(bg, "LoRA strength 1", asBackground, conceptSamples, 1.0);
            var (plain, _) = Measure("base prompts", "no LoRA", EvaluationPrompts.At, baseSamples, null);
            var (zero, _) = Measure("base prompts", "LoRA strength 0", EvaluationPrompts.At, baseSamples, 0.0);
            Measure("base prompts", "LoRA strength 1", EvaluationPrompts.At, baseSamples, 1.0);
            identical = plain with { Label = zero.Label } == zero && StrengthZeroIsIdentity(model, lora, registry, s, square, Math.Min(baseSamples, s.BatchSize));
            if (gridFolder is not null)
            {
                Directory.CreateDirectory(gridFolder);
                long width = previews.Max(p => p.shape[2]);
                using var scope = NewDisposeScope();
                var grid = cat(previews.Select(p => nn.functional.pad(p, new long[] { 0, width - p.shape[2], 0, 0 }, value: 1.0)).ToArray(), 1);
                Imaging.PngImage.WriteAtomically(Path.Combine(gridFolder, $"lora-{concept.Name}.png"), Imaging.PngImage.Encode(grid));
            }
            return rows;
        }
        finally
        {
            foreach (var p in previews) p.Dispose();
        }
    }

    /// <summary>The first <paramref name="count"/> base-prompt images without the LoRA and at strength 0, compared bit for bit.</summary>
    static bool StrengthZeroIsIdentity(SdxlModel model, Adapter lora, ComponentRegistry registry, EvaluationSettings s, ImageSize bucket, int count)
    {
        using var plain = TinyEvaluation.Plan(model, registry, s, bucket, 0, count).Run();
        using var merge = AdapterMerge.Apply(model, lora, 0.0);
        using var zero = TinyEvaluation.Plan(model, registry, s, bucket, 0, count).Run();
        bool same = true;
        for (int i = 0; i < count; i++)
        {
            using var a = plain.Images[i];
            using var b = zero.Images[i];
            using var scope = NewDisposeScope();
            same &= a.shape.SequenceEqual(b.shape) && a.eq(b).all().item<bool>();
        }
        return same;
    }
}
