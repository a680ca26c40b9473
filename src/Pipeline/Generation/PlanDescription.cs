using System.Globalization;
using System.Text;
using Pipeline.Diffusion;
using Pipeline.Stages;

namespace Pipeline.Generation;

/// <summary>The text of <see cref="GenerationPlan.Describe"/>: one line per component, invariant culture, no addresses or times.</summary>
public static class PlanDescription
{
    public static string Of(GenerationPlan plan)
    {
        var sb = new StringBuilder();
        void Line(string key, string value) => sb.Append("  ").Append(key.PadRight(15)).Append(value).Append('\n');
        sb.Append("GenerationPlan\n");
        var model = plan.Model;
        Line("model", model is null ? "none" : $"{model.Name}{(model.Hash is null ? "" : $" [{model.Hash}]")} ({model.Config.Name}, {model.Config.Kind.ToString().ToLowerInvariant()}, {model.ComputeDType}, {model.Device})");
        Line("size", $"{plan.Size.Width}x{plan.Size.Height}, batch {plan.BatchSize}" +
            (model is null || plan.BatchSize < 1 ? "" : $", latent [{string.Join(", ", Safe(() => plan.LatentShape) ?? Array.Empty<long>())}]"));
        if (plan.Conditioning is { } c)
            Line("conditioning", $"precomputed, {c.BatchSize} rows (Tokenize and Condition skipped)");
        if (plan.Conditioning is null || plan.Refiner is { Conditioning: null })
            Line("prompts", $"{plan.Prompting?.ToString() ?? "none"}: {StyleText(plan.Prompting?.Style)}");
        void AdapterLines(string label, System.Collections.Immutable.ImmutableArray<Adapters.AdapterUse> uses, string phase)
        {
            if (uses.IsDefaultOrEmpty) return;
            foreach (var (use, i) in uses.Select((u, i) => (u, i)))
                Line(i == 0 ? label : "", $"{use.Adapter.Name} [{use.Adapter.Hashes.Short}] unet {ComponentText.Number(use.UnetStrength)}, text encoders {ComponentText.Number(use.TextEncoderStrength)}: {use.Adapter.Modules.Count} modules, {(plan.AdapterApplication == Adapters.AdapterApplication.OnTheFly ? "as forward hooks" : "merged")} for the {phase} phase");
        }
        AdapterLines("adapters", plan.Adapters, "base");
        if (!plan.Rows.IsDefault)
            foreach (var (row, i) in plan.Rows.Select((r, i) => (r, i)))
                Line(i == 0 ? "rows" : "", Row(i, row));
        Line("noise", $"{ComponentText.Of(plan.Noise)}, seed {plan.Seed}{(plan.Refiner is null ? "" : $" (refiner: seed {unchecked(plan.Seed + 1)})")}");
        Line("schedule", $"{plan.Names.Schedule ?? "custom"}: {Summary(plan.Sigmas)}");
        if (plan.Init is { } init)
            Line("init", $"{(init.IsLatent ? "latent" : "image")} [{string.Join(", ", init.Tensor.shape)}], strength {ComponentText.Number(init.Strength)}" +
                (Safe(() => plan.RunSigmas) is { } run ? $" → runs {Summary(run)}" : "") +
                (!init.IsLatent && plan.Encode?.Taesd is { } enc ? $", encoded by a TAESD encoder ({enc.Channels} wide)" : ""));
        if (plan.Init?.Mask is { } mask)
            Line("inpaint", $"mask [{string.Join(", ", mask.Mask?.shape ?? Array.Empty<long>())}] (white = repaint), blur {mask.Blur} px; " +
                "the kept region follows the init latent at every σ" + (plan.Init.IsLatent ? "" : ", the result is composited onto the original pixels"));
        Line("sampler", $"{(plan.Names.Sampler is { } n ? n + ": " : "")}{ComponentText.Of(plan.Sampler)}");
        Line("guider", ComponentText.Of(plan.Guider));
        if (plan.Refiner is { } r)
        {
            Line("refiner", $"{r.Model?.Name ?? "none"}, {(r.Mode == RefinerMode.Handoff ? $"handoff at {ComponentText.Number(r.At)} of the schedule" : $"SDEdit strength {ComponentText.Number(r.At)}, {r.Steps} steps")}, aesthetic {ComponentText.Number(r.AestheticScore)}/{ComponentText.Number(r.NegativeAestheticScore)}{(r.Conditioning is null ? "" : ", precomputed conditioning")}");
            if (Safe(() => plan.BaseSigmas) is { } b && Safe(() => plan.RefinerSigmas) is { } rs)
            {
                Line("  base runs", Summary(b));
                Line("  refiner runs", Summary(rs));
            }
            Line("  sampler", $"{(r.SamplerName is { } rn ? rn + ": " : "")}{ComponentText.Of(r.Sampler)}");
            Line("  guider", ComponentText.Of(r.Guider));
            AdapterLines("  adapters", r.Adapters, "refiner");
        }
        if (plan.Hires is { } h)
            Line("hires", $"{plan.Size.Width}x{plan.Size.Height} → {h.Size.Width}x{h.Size.Height} by {h.Upscaler.A1111Name()}, strength {ComponentText.Number(h.Strength)}, " +
                $"{(h.SamplerName ?? (h.Sampler is null ? "the plan's sampler" : ComponentText.Of(h.Sampler)))}, runs {Summary(Safe(() => h.RunSigmas))}, seed {unchecked(plan.Seed + 2)}");
        Line("decode", ComponentText.Of(plan.Decode));
        return sb.ToString();
    }

    static string Row(int i, PromptRow row) =>
        $"[{i}] {Quote(row.Text)}, negative {(row.ZeroesNegative ? "(empty: zeroed text embeddings)" : Quote(row.Negative))}; " +
        $"original {Size(row.Micro.OriginalSize)}, crop ({row.Micro.Crop.Top},{row.Micro.Crop.Left}), target {Size(row.Micro.TargetSize)}, " +
        $"aesthetic {ComponentText.Number(row.Micro.AestheticScore)}/{ComponentText.Number(row.Micro.NegativeAestheticScore)}";

    static string StyleText(Tokenize.Prompts.PromptStyle? style) => style switch
    {
        Tokenize.Prompts.PromptStyle.A1111 => "A1111 syntax, comma-aware 75-token chunks, weights with the mean restored",
        Tokenize.Prompts.PromptStyle.Comfy => "ComfyUI syntax, 75-token chunks, weights interpolated from the empty prompt",
        Tokenize.Prompts.PromptStyle.Sgm => "literal text, one 77-token window (longer prompts truncated)",
        _ => "none",
    };

    static string Size(Conditioning.ImageSize s) => $"{s.Width}x{s.Height}";

    static string Quote(string? s) => s is null ? "null" : "\"" + s.Replace("\"", "\\\"") + "\"";

    /// <summary>"25 steps, σ 14.6146 → 0.0291675, then 0" with the first and last few values.</summary>
    public static string Summary(Sigmas? sigmas)
    {
        if (sigmas is null) return "none";
        string V(float v) => v.ToString("G6", CultureInfo.InvariantCulture);
        var positive = sigmas.EndsWithZero ? sigmas.Take(sigmas.Count - 1).ToList() : sigmas.ToList();
        var shown = positive.Count <= 6 ? string.Join(", ", positive.Select(V))
            : string.Join(", ", positive.Take(3).Select(V)) + ", …, " + string.Join(", ", positive.Skip(positive.Count - 2).Select(V));
        return $"{sigmas.Steps} steps, σ [{shown}]{(sigmas.EndsWithZero ? " then 0" : " (stops above 0)")}";
    }

    static T? Safe<T>(Func<T?> f) where T : class
    {
        try { return f(); }
        catch (ArgumentException) { return null; }
        catch (NullReferenceException) { return null; }
    }
}
