using System.Collections.Immutable;
using Pipeline.Models.Bundles;
using Pipeline.Conditioning;
using Pipeline.Stages;

namespace Pipeline.Generation;

/// <summary>The checks a plan passes before any work is done; every problem is listed, not just the first.</summary>
public static class PlanValidation
{
    /// <summary>Checks of an image size and batch that need no model (a host may run them before loading one).</summary>
    public static IReadOnlyList<string> SizeProblems(ImageSize size, int batch, int downscaleFactor = 8)
    {
        var p = new List<string>();
        if (size.Width < downscaleFactor || size.Width % downscaleFactor != 0) p.Add($"width {size.Width} must be a positive multiple of {downscaleFactor}");
        if (size.Height < downscaleFactor || size.Height % downscaleFactor != 0) p.Add($"height {size.Height} must be a positive multiple of {downscaleFactor}");
        if (batch < 1 || batch > 64) p.Add($"batch size {batch} must be in 1..64");
        return p;
    }

    public static IReadOnlyList<string> Problems(GenerationPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var p = new List<string>();
        if (plan.Model is null) return new[] { "the plan has no model" };
        if (plan.Sigmas is null) p.Add("the plan has no schedule (Sigmas)");
        if (plan.Sampler is null) p.Add("the plan has no sampler");
        if (plan.Guider is null) p.Add("the plan has no guider");
        if (plan.Noise is null) p.Add("the plan has no noise factory");
        if (plan.Decode is null) p.Add("the plan has no decode options");
        if (plan.Encode is null) p.Add("the plan has no encode options");
        if (plan.Encode?.Taesd is { } encoder && encoder.LatentChannels != plan.Model.Config.Vae.EmbedDim)
            p.Add($"the TAESD encoder makes {encoder.LatentChannels} latent channels, the model takes {plan.Model.Config.Vae.EmbedDim}");
        if (plan.Decode?.Taesd is { } decoder && decoder.LatentChannels != plan.Model.Config.Vae.EmbedDim)
            p.Add($"the TAESD decoder takes {decoder.LatentChannels} latent channels, the model makes {plan.Model.Config.Vae.EmbedDim}");
        if (plan.Guider is not null && Diffusion.Guidance.CfgScale.Of(plan.Guider) is { } scale && !(double.IsFinite(scale) && scale >= 0))
            p.Add($"cfg scale {scale} must be finite and >= 0");
        p.AddRange(SizeProblems(plan.Size, plan.BatchSize, plan.Model.Config.Vae.DownscaleFactor));
        bool needRows = plan.Conditioning is null || plan.Refiner is { Conditioning: null };
        if (plan.Rows.IsDefault || (needRows && plan.Rows.Length == 0)) p.Add("the plan has no prompt rows (and no precomputed conditioning)");
        else
        {
            for (int i = 0; i < plan.Rows.Length; i++)
            {
                var row = plan.Rows[i];
                if (row is null) { p.Add($"row {i} is null"); continue; }
                if (row.Text is null) p.Add($"row {i}: prompt must not be null");
                if (row.Negative is null) p.Add($"row {i}: negative prompt must not be null (use \"\")");
                if (row.Micro is null) p.Add($"row {i}: micro-conditioning must not be null");
                else p.AddRange(row.Micro.Problems().Select(m => plan.Rows.Length == 1 ? m : $"row {i}: {m}"));
            }
            if (plan.Prompting is null) p.Add("the plan has no prompt options (use PromptOptions.Default)");
            else if (needRows && p.Count == 0) p.AddRange(PromptProblems(plan));
            p.AddRange(AdapterProblems(plan.Adapters, plan.Model, ""));
        if (plan.Model.Int8Linears && !plan.Adapters.IsDefaultOrEmpty)
            p.Add("the model's Linear layers run in int8 (quantized before the adapters could be applied); use adapters without int8 (--dtype auto)");
            if (plan.Conditioning is { } c && plan.Rows.Length > 0 && plan.Rows.Length != c.BatchSize)
                p.Add($"{plan.Rows.Length} prompt rows but the precomputed conditioning has {c.BatchSize}");
        }
        if (plan.Sigmas is { } sigmas)
        {
            if (sigmas.Steps < 1 || sigmas.Steps > 1000) p.Add($"steps {sigmas.Steps} must be in 1..1000");
            if (plan.Init is { } init)
            {
                if (!(init.Strength > 0 && init.Strength <= 1)) p.Add($"strength {init.Strength} must be in (0, 1]");
                var t = init.Tensor;
                int f = plan.Model.Config.Vae.DownscaleFactor;
                var expected = init.IsLatent ? (plan.Size.Height / f, plan.Size.Width / f) : (plan.Size.Height, plan.Size.Width);
                if (t is null) p.Add("the init input has no tensor");
                else if (t.dim() != 4 || (!init.IsLatent && t.shape[1] != 3) || (t.shape[2], t.shape[3]) != expected)
                    p.Add($"the init {(init.IsLatent ? "latent" : "image")} is [{string.Join(", ", t.shape)}]; the plan's size {plan.Size.Width}x{plan.Size.Height} needs [B, {(init.IsLatent ? "C" : "3")}, {expected.Item1}, {expected.Item2}]");
                else if (t.shape[0] != 1 && t.shape[0] != plan.BatchSize) p.Add($"{t.shape[0]} init {(init.IsLatent ? "latents" : "images")} for batch size {plan.BatchSize}");
                if (init.Mask is { } mask) p.AddRange(MaskProblems(plan, mask));
            }
            if (plan.Model.Config.IsInpainting && plan.Init is not { Mask: not null, IsLatent: false })
                p.Add($"'{plan.Model.Config.Name}' is an inpainting model (9 UNet input channels): it needs an init image with a mask (InitInput.FromImage(…).WithMask(…))");
            if (plan.Hires is { } hires)
            {
                p.AddRange(hires.Problems(plan.Size));
                if (plan.Refiner is not null) p.Add("a plan cannot have both a hires step and a refiner step yet");
                if (plan.Init?.Mask is not null) p.Add("an inpainting plan cannot have a hires step yet");
                if (plan.Conditioning is not null) p.Add("a hires step needs prompt rows, not precomputed conditioning (its conditioning is at the new size)");
            }
            if (plan.Refiner is { } r)
            {
                p.AddRange(r.Problems());
                if (plan.Init is { Mask: not null }) p.Add("an inpainting plan (init with a mask) cannot have a refiner step yet: refine the result in a second plan");
                int runSteps = plan.Init is { Strength: > 0 and <= 1 } i ? sigmas.Steps - ScheduleSplit.Img2ImgStart(sigmas.Steps, i.Strength) : sigmas.Steps;
                if (r.Mode == RefinerMode.Handoff && runSteps < 2) p.Add("handoff needs at least 2 base steps");
            }
        }
        return p;
    }

    /// <summary>
    /// Prompts that cannot be read (an invalid weight, an unknown or unusable embedding, or embeddings made for
    /// another model) and extra-network tags, which this library does not apply yet (never dropped silently).
    /// </summary>
    static IEnumerable<string> PromptProblems(GenerationPlan plan)
    {
        PromptTokens tokens;
        try { tokens = PromptTokenizer.Run(plan.Rows, plan.Prompting); }
        catch (ArgumentException e) { return new[] { e.Message }; }
        var problems = new List<string>();
        var notFinite = tokens.Prompt.Concat(tokens.Negative)
            .SelectMany(t => t.ClipL.Chunks.Concat(t.OpenClip.Chunks).SelectMany(c => c.Weights).Where(w => !double.IsFinite(w)).Select(w => (t.Text, w)))
            .FirstOrDefault();
        if (notFinite.Text is not null) problems.Add($"prompt \"{notFinite.Text}\" has a token weight of {notFinite.w}; weights must be finite");
        var tags = tokens.Prompt.Concat(tokens.Negative).SelectMany(t => t.Networks).Distinct().ToList();
        var loaded = plan.Adapters.IsDefault ? new HashSet<string>() : plan.Adapters.Select(a => a.Adapter.Name).ToHashSet(StringComparer.Ordinal);
        if (Adapters.LoraTags.UnsupportedKinds(tags) is { } unsupported) problems.Add(unsupported);
        var missing = tags.Where(t => Adapters.LoraTags.IsLora(t) && !loaded.Contains(t.Name)).ToList();
        if (missing.Count > 0)
            problems.Add($"the prompt names LoRAs ({string.Join(", ", missing)}) that the plan does not hold; load them into GenerationPlan.Adapters (CLI: --lora-dir)");
        try
        {
            ConditionEncoders.Of(plan.Model.Conditioner).CheckEmbeddings(tokens.Prompt.Concat(tokens.Negative));
            if (plan.Refiner is { Model: { } refiner }) ConditionEncoders.Of(refiner.Conditioner).CheckEmbeddings(tokens.Prompt.Concat(tokens.Negative));
        }
        catch (ArgumentException e) { problems.Add(e.Message); }
        return problems;
    }

    /// <summary>Problems of adapter uses for <paramref name="model"/> (<paramref name="phase"/>: "" or "refiner ").</summary>
    internal static IEnumerable<string> AdapterProblems(ImmutableArray<Adapters.AdapterUse> uses, SdxlModel model, string phase)
    {
        if (uses.IsDefault) yield break;
        foreach (var use in uses)
        {
            if (use?.Adapter is null) { yield return $"a {phase}adapter use has no adapter"; continue; }
            if (!double.IsFinite(use.UnetStrength) || !double.IsFinite(use.TextEncoderStrength)) yield return $"{phase}adapter '{use.Adapter.Name}': strengths must be finite";
            if (use.Adapter.ConfigName != model.Config.Name)
                yield return $"{phase}adapter '{use.Adapter.Name}' was mapped for model config '{use.Adapter.ConfigName}', the {(phase.Length == 0 ? "plan's model" : "refiner")} is '{model.Config.Name}'";
        }
    }

    /// <summary>Problems of an inpainting mask: its shape at the plan's pixel size, its values, its blur.</summary>
    static IEnumerable<string> MaskProblems(GenerationPlan plan, InpaintMask mask)
    {
        if (mask.Mask is not { } m) { yield return "the inpainting mask has no tensor"; yield break; }
        if (mask.Blur < 0 || mask.Blur > InpaintMask.MaxBlur) yield return $"mask blur {mask.Blur} must be in 0..{InpaintMask.MaxBlur} pixels";
        if (m.dim() != 4 || m.shape[1] != 1 || m.shape[2] != plan.Size.Height || m.shape[3] != plan.Size.Width)
        {
            yield return $"the inpainting mask is [{string.Join(", ", m.shape)}]; the plan's size {plan.Size.Width}x{plan.Size.Height} needs [B, 1, {plan.Size.Height}, {plan.Size.Width}]";
            yield break;
        }
        if (m.shape[0] != 1 && m.shape[0] != plan.BatchSize) yield return $"{m.shape[0]} masks for batch size {plan.BatchSize}";
        if (!m.is_floating_point()) { yield return $"the inpainting mask must be a float tensor in [0, 1], got {m.dtype}"; yield break; }
        using var scope = TorchSharp.torch.NewDisposeScope();
        double min = m.min().item<float>(), max = m.max().item<float>();
        if (!(min >= 0 && max <= 1)) yield return $"the inpainting mask's values must be in [0, 1] (white = repaint), got {min}..{max}";
    }
}
