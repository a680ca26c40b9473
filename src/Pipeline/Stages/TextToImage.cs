using Pipeline.Components;
using Pipeline.Diffusion.Sampling;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Tokenize;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>The images of a run with everything needed to reproduce and report them. Owns its tensors.</summary>
public sealed record GenerationResult(Tensor Images, Tensor Latents, IReadOnlyList<GenerationParameters> Parameters,
    int PromptTokensDropped, int NegativeTokensDropped) : IDisposable
{
    public void Dispose()
    {
        Images.Dispose();
        Latents.Dispose();
    }
}

/// <summary>
/// Text-to-image as a composition of the stages: Tokenize → Condition → Noise → Denoise (→ Refine) → Decode.
/// Components are looked up by name in the registry snapshot the caller captured (unknown names fail with the
/// valid list before any work is done).
/// </summary>
public static class TextToImage
{
    /// <summary>The latents of <paramref name="settings"/> (no decode), with the schedule ending at its final 0.</summary>
    public static Tensor Latents(SdxlModel model, ComponentRegistry registry, GenerationSettings settings, SamplingOptions? options = null) =>
        LatentsOver(model, registry, settings,
            registry.Discretization(settings.Validate(model.Config.Vae.DownscaleFactor).Schedule).GetSigmas(settings.Steps), options);

    /// <summary>The latents of <paramref name="settings"/> sampled over <paramref name="sigmas"/> (e.g. stopping at a refiner handoff).</summary>
    public static Tensor LatentsOver(SdxlModel model, ComponentRegistry registry, GenerationSettings settings, Pipeline.Diffusion.Sigmas sigmas,
        SamplingOptions? options = null)
    {
        settings.Validate(model.Config.Vae.DownscaleFactor);
        var sampler = registry.Sampler(settings.Sampler);
        using var conditioning = ConditionStage.ForPrompt(model.Conditioner, settings.Prompt, settings.NegativePrompt, settings.BatchSize,
            settings.EffectiveOriginalSize, settings.Crop, settings.EffectiveTargetSize);
        using var noise = new SeededNoise(settings.Seed);
        using var x = NoiseStage.Initial(noise, model.Config.LatentShape(settings.BatchSize, settings.Height, settings.Width), model.Device);
        return DenoiseStage.Run(sampler, DenoiseStage.GuiderFor(settings.CfgScale), model.Denoiser, model.Network, x, sigmas,
            conditioning, noise, options);
    }

    /// <summary>Generates and decodes; the result carries A1111-style parameters per image.</summary>
    public static GenerationResult Run(SdxlModel model, ComponentRegistry registry, GenerationSettings settings, SamplingOptions? options = null)
    {
        var latents = Latents(model, registry, settings, options);
        try
        {
            var images = DecodeStage.Run(model.FirstStage, latents);
            return new GenerationResult(images, latents, Describe(model, settings),
                ConditionStage.DroppedTokens(settings.Prompt), ConditionStage.DroppedTokens(settings.NegativePrompt));
        }
        catch
        {
            latents.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Base + refiner. Handoff: the base samples the first <see cref="RefinerSettings.HandoffFraction"/> of its schedule and
    /// the refiner finishes the same trajectory. SDEdit: the base finishes and the refiner re-noises within its 200 scales.
    /// </summary>
    public static GenerationResult RunWithRefiner(SdxlModel model, SdxlModel refiner, ComponentRegistry registry, GenerationSettings settings,
        RefinerSettings refine, SamplingOptions? options = null)
    {
        if (refiner.Config.Kind != SdxlModelKind.Refiner) throw new ArgumentException($"'{refiner.Name}' is not a refiner model");
        var problems = refine.Problems();
        if (problems.Count > 0) throw new ArgumentException("invalid refiner settings: " + string.Join("; ", problems));
        var refinerSampler = registry.Sampler(refine.Sampler);
        var full = registry.Discretization(settings.Validate(model.Config.Vae.DownscaleFactor).Schedule).GetSigmas(settings.Steps);
        using var refinerNoise = new SeededNoise(unchecked(settings.Seed + 1));
        Tensor latents;
        if (refine.Mode == RefinerMode.Handoff)
        {
            if (settings.Steps < 2) throw new ArgumentException("handoff needs at least 2 base steps");
            int k = RefineStage.HandoffIndex(settings.Steps, refine.HandoffFraction);
            using var atHandoff = LatentsOver(model, registry, settings, new Pipeline.Diffusion.Sigmas(full.Take(k + 1)), options);
            latents = RefineStage.Continue(refiner, refinerSampler, refine, atHandoff, full.From(k), settings.Prompt, settings.NegativePrompt,
                settings, refinerNoise, options);
        }
        else
        {
            using var baseLatents = LatentsOver(model, registry, settings, full, options);
            latents = RefineStage.SdEdit(refiner, refinerSampler, refine, baseLatents, settings.Prompt, settings.NegativePrompt, settings,
                refinerNoise, options);
        }
        try
        {
            var images = DecodeStage.Run(model.FirstStage, latents);
            var extra = new Dictionary<string, string>
            {
                ["Refiner"] = refiner.Name, ["Refiner mode"] = refine.Mode.ToString().ToLowerInvariant(),
                ["Refiner switch at"] = refine.Mode == RefinerMode.Handoff
                    ? refine.HandoffFraction.ToString(System.Globalization.CultureInfo.InvariantCulture)
                    : "strength " + refine.Strength.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            return new GenerationResult(images, latents, Describe(model, settings, extra),
                ConditionStage.DroppedTokens(settings.Prompt), ConditionStage.DroppedTokens(settings.NegativePrompt));
        }
        catch
        {
            latents.Dispose();
            throw;
        }
    }

    /// <summary>Parameters per image of the batch (image i was drawn as row i of the seed's noise).</summary>
    public static IReadOnlyList<GenerationParameters> Describe(SdxlModel model, GenerationSettings s, IReadOnlyDictionary<string, string>? extra = null) =>
        Enumerable.Range(0, s.BatchSize).Select(i =>
        {
            var fields = new Dictionary<string, string>();
            if (s.BatchSize > 1) fields["Batch index"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (s.OriginalSize is { } o) fields["Original size"] = $"{o.Width}x{o.Height}";
            if (s.Crop != default) fields["Crop"] = $"{s.Crop.Top},{s.Crop.Left}";
            if (s.TargetSize is { } t) fields["Target size"] = $"{t.Width}x{t.Height}";
            if (extra is not null) foreach (var kv in extra) fields[kv.Key] = kv.Value;
            return new GenerationParameters(s.Prompt, s.NegativePrompt, s.Steps, s.Sampler, s.Schedule, s.CfgScale, s.Seed,
                s.Width, s.Height, model.Name, model.Hash, fields.Count > 0 ? fields : null);
        }).ToList();
}
