using System.Collections.Immutable;
using System.Text;
using Pipeline.Components;
using Pipeline.Conditioning;
using Pipeline.Diffusion.Guidance;
using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Training.World;
using static TorchSharp.torch;

namespace Pipeline.Training.Evaluation;

/// <summary>
/// Evaluates a model of the shape world with the project's own detector: prompt fidelity, multi-aspect fidelity,
/// size conditioning (sharpness against the original-size condition), crop conditioning (objects cut by the border),
/// the refiner in both modes, a CFG sweep and a sampler comparison. Deterministic given the settings' seed.
/// </summary>
public static class TinyEvaluation
{
    /// <summary>
    /// The plan of one batch of an evaluation row: samples <paramref name="start"/> … start + count − 1 of
    /// <see cref="EvaluationPrompts"/>, each row with its own caption and micro-conditioning, seed = settings' seed + start.
    /// Names (sampler, schedule) are resolved here, at the evaluation's edge; the plan runs through the one executor.
    /// </summary>
    public static GenerationPlan Plan(SdxlModel model, ComponentRegistry registry, EvaluationSettings s, ImageSize bucket, int start, int count,
        ImageSize? originalSize = null, CropCoords crop = default, string? sampler = null, double? cfg = null, RefinerStep? refine = null,
        Func<long, WorldLabels>? prompts = null)
    {
        var original = originalSize ?? bucket;
        prompts ??= EvaluationPrompts.At;
        var rows = Enumerable.Range(start, count)
            .Select(k => new PromptRow(prompts(k).Caption, "", new MicroConditioning(original, crop, bucket, QualityFor(original))))
            .ToImmutableArray();
        var samplerName = sampler ?? s.Sampler;
        return new GenerationPlan(model, rows, bucket, registry.Schedule(s.Schedule, s.Steps), registry.Sampler(samplerName),
            CfgScale.Guider(cfg ?? s.CfgScale), s.Seed + start)
        {
            Refiner = refine,
            Decode = new DecodeOptions(SamplesAtATime: 16),
            Names = new ComponentNames(samplerName, s.Schedule),
        };
    }

    /// <summary>The refiner step of the evaluation's refiner rows (the evaluation's sampler and CFG scale).</summary>
    public static RefinerStep RefinerFor(SdxlModel refiner, ComponentRegistry registry, EvaluationSettings s, RefinerMode mode) =>
        new RefinerStep(refiner, mode, mode == RefinerMode.Handoff ? 0.8 : 0.3, registry.Sampler(s.Sampler), CfgScale.Guider(s.CfgScale))
            { SamplerName = s.Sampler };

    /// <summary>One row: <paramref name="samples"/> prompts from <see cref="EvaluationPrompts"/> (or <paramref name="prompts"/>),
    /// generated and detected (against <paramref name="palette"/>, default the base colours).</summary>
    public static (EvaluationRow Row, Tensor Preview) Row(SdxlModel model, ComponentRegistry registry, EvaluationSettings s, string group, string label,
        ImageSize bucket, ImageSize? originalSize = null, CropCoords crop = default, string? sampler = null, double? cfg = null,
        RefinerStep? refine = null, int? samples = null, int previewCount = 8,
        Func<long, WorldLabels>? prompts = null, IReadOnlyList<WorldColor>? palette = null)
    {
        prompts ??= EvaluationPrompts.At;
        s.Validate();
        int n = samples ?? s.SamplesPerRow;
        int color = 0, background = 0, shape = 0, all = 0, cut = 0, topLeft = 0;
        double sharpness = 0, outline = 0;
        int outlined = 0;
        var previews = new List<Tensor>();
        try
        {
            for (int start = 0; start < n; start += s.BatchSize)
            {
                int count = Math.Min(s.BatchSize, n - start);
                var labels = Enumerable.Range(start, count).Select(k => prompts(k)).ToList();
                using var result = Plan(model, registry, s, bucket, start, count, originalSize, crop, sampler, cfg, refine, prompts).Run();
                var images = result.Images;
                for (int i = 0; i < count; i++)
                {
                    using var image = images[i];
                    var d = WorldDetector.Detect(image, palette);
                    color += d.ColorMatches(labels[i]) ? 1 : 0;
                    background += d.BackgroundMatches(labels[i]) ? 1 : 0;
                    shape += d.ShapeMatches(labels[i]) ? 1 : 0;
                    all += d.Matches(labels[i]) ? 1 : 0;
                    if (d.CutByBorder)
                    {
                        cut++;
                        topLeft += d.CutTop || d.CutLeft ? 1 : 0;
                    }
                    else if (!double.IsNaN(d.Outline))
                    {
                        outline += d.Outline;
                        outlined++;
                    }
                    sharpness += Sharpness.VarianceOfLaplacian(image);
                    if (previews.Count < previewCount) previews.Add(image.clone());
                }
            }
            var row = new EvaluationRow(group, label, n, (double)color / n, (double)background / n, (double)shape / n, (double)all / n,
                (double)cut / n, cut == 0 ? 0 : (double)topLeft / cut, sharpness / n, outlined == 0 ? double.NaN : outline / outlined);
            return (row, ImageGrid.Compose(previews, previews.Count, rowLabels: new[] { label }));
        }
        finally
        {
            foreach (var p in previews) p.Dispose();
        }
    }

    /// <summary>The quality score the data pipeline records for an original size (the refiner's "aesthetic" input).</summary>
    public static double QualityFor(ImageSize original) => 1 + 2 * Math.Log2(Math.Max(original.Height, original.Width) / 16.0);

    /// <summary>The full evaluation; writes <c>evaluation.md</c> and one labelled grid PNG per group into <paramref name="folder"/>.</summary>
    public static IReadOnlyList<EvaluationRow> Run(SdxlModel model, SdxlModel? refiner, ComponentRegistry registry, EvaluationSettings s,
        string folder, Action<string>? log = null, bool includeSamplers = true)
    {
        Directory.CreateDirectory(folder);
        var rows = new List<EvaluationRow>();
        var square = new ImageSize(64, 64);
        void Group(string name, IEnumerable<(EvaluationRow Row, Tensor Preview)> results)
        {
            var previews = new List<Tensor>();
            foreach (var (row, preview) in results)
            {
                rows.Add(row);
                previews.Add(preview);
                log?.Invoke(row.ToMarkdown());
            }
            using var grid = Stack(previews);
            foreach (var p in previews) p.Dispose();
            PngImage.WriteAtomically(Path.Combine(folder, $"{name}.png"), PngImage.Encode(grid));
        }

        Group("fidelity", new[] { Row(model, registry, s, "fidelity", "64x64, 25 steps, CFG 2", square) });
        Group("multi-aspect", WorldBuckets.MultiAspect.Select(b => Row(model, registry, s, "multi-aspect", $"{b.Width}x{b.Height}", b)));
        Group("size", new[] { 16, 32, 64, 128 }.Select(o => Row(model, registry, s, "size conditioning", $"original {o}x{o}", square, new ImageSize(o, o))));
        Group("crop", new[] { 0, 8, 16, 24 }.Select(c => Row(model, registry, s, "crop conditioning", $"crop ({c},{c})", square, crop: new CropCoords(c, c))));
        if (refiner is not null)
            Group("refiner", new[]
            {
                Row(model, registry, s, "refiner", "base only", square),
                Row(model, registry, s, "refiner", "handoff at 0.8", square, refine: RefinerFor(refiner, registry, s, RefinerMode.Handoff)),
                Row(model, registry, s, "refiner", "SDEdit strength 0.3", square, refine: RefinerFor(refiner, registry, s, RefinerMode.SDEdit)),
            });
        Group("cfg", new[] { 1.0, 2.0, 4.0, 7.0 }.Select(c => Row(model, registry, s, "CFG sweep", $"CFG {c}", square, cfg: c)));
        if (includeSamplers)
            Group("samplers", registry.Names(ComponentKind.Sampler).Select(name => Row(model, registry, s, "samplers", name, square, sampler: name)));

        var md = new StringBuilder();
        md.AppendLine($"Evaluation of {model.Name}{(refiner is null ? "" : " + " + refiner.Name)}: {s.SamplesPerRow} samples per row, {s.Steps} steps, {s.Sampler}, CFG {s.CfgScale} unless the row says otherwise, seed {s.Seed}.");
        md.AppendLine();
        md.AppendLine(EvaluationRow.MarkdownHeader);
        foreach (var r in rows) md.AppendLine(r.ToMarkdown());
        Pipeline.IO.AtomicFile.WriteBytes(Path.Combine(folder, "evaluation.md"), System.Text.Encoding.UTF8.GetBytes(md.ToString()));
        return rows;
    }

    static Tensor Stack(IReadOnlyList<Tensor> rows)
    {
        long width = rows.Max(r => r.shape[2]);
        using var scope = NewDisposeScope();
        var padded = rows.Select(r => nn.functional.pad(r, new long[] { 0, width - r.shape[2], 0, 0 }, value: 1.0)).ToArray();
        return cat(padded, 1).MoveToOuterDisposeScope();
    }
}
