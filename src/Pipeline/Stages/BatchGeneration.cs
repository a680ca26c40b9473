using Pipeline.Components;
using Pipeline.Conditioning;
using Pipeline.Diffusion.Sampling;
using Pipeline.Models.Bundles;
using Pipeline.Tokenize;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>One sample of a mixed batch: its own prompt and micro-conditioning.</summary>
public sealed record SampleRequest(string Prompt, ImageSize OriginalSize, CropCoords Crop, ImageSize TargetSize,
    double AestheticScore = ConditionerInput.DefaultAestheticScore);

/// <summary>
/// Generates a batch whose rows have different prompts and size/crop conditioning (evaluation, comparisons), with
/// shared sampler settings. The unconditional branch uses zeroed text embeddings (empty negative prompt) and each
/// row's own size/crop values, as sgm does.
/// </summary>
public static class BatchGeneration
{
    public static Tensor Latents(SdxlModel model, ComponentRegistry registry, IReadOnlyList<SampleRequest> rows, GenerationSettings shared,
        SamplingOptions? options = null, RefinerStep? refine = null)
    {
        if (rows.Count == 0) throw new ArgumentException("no samples requested");
        var size = rows[0].TargetSize;
        if (rows.Any(r => r.TargetSize != size)) throw new ArgumentException("all rows of a batch must share the target (image) size");
        var settings = (shared with { Width = size.Width, Height = size.Height, BatchSize = rows.Count }).Validate(model.Config.Vae.DownscaleFactor);
        var sampler = registry.Sampler(settings.Sampler);
        var sigmas = registry.Discretization(settings.Schedule).GetSigmas(settings.Steps);
        using var conditioning = Condition(model, rows, ConditionerInput.DefaultNegativeAestheticScore);
        using var noise = new SeededNoise(settings.Seed);
        using var x = NoiseStage.Initial(noise, model.Config.LatentShape(rows.Count, size.Height, size.Width), model.Device);
        if (refine is null)
            return DenoiseStage.Run(sampler, DenoiseStage.GuiderFor(settings.CfgScale), model.Denoiser, model.Network, x, sigmas, conditioning, noise, options);

        int k = refine.Settings.Mode == RefinerMode.Handoff ? RefineStage.HandoffIndex(settings.Steps, refine.Settings.HandoffFraction) : settings.Steps;
        using var baseLatents = DenoiseStage.Run(sampler, DenoiseStage.GuiderFor(settings.CfgScale), model.Denoiser, model.Network, x,
            refine.Settings.Mode == RefinerMode.Handoff ? new Pipeline.Diffusion.Sigmas(sigmas.Take(k + 1)) : sigmas, conditioning, noise, options);
        using var refinerConditioning = Condition(refine.Model, rows, refine.Settings.NegativeAestheticScore, refine.Settings.AestheticScore);
        var refinerSampler = registry.Sampler(refine.Settings.Sampler);
        var guider = DenoiseStage.GuiderFor(refine.Settings.CfgScale);
        if (refine.Settings.Mode == RefinerMode.Handoff)
        {
            var rest = sigmas.From(k);
            using var start = baseLatents / Math.Sqrt(1.0 + (double)rest[0] * rest[0]);
            return DenoiseStage.Run(refinerSampler, guider, refine.Model.Denoiser, refine.Model.Network, start, rest, refinerConditioning, noise, options);
        }
        var schedule = Pipeline.Diffusion.Discretization.TruncatedDDPMDiscretization.ForStrength(refine.Settings.Strength);
        var refinerSigmas = schedule.GetSigmas(Math.Min(refine.Settings.Steps, schedule.MaxTimestep + 1));
        using var scope = NewDisposeScope();
        var noisy = (baseLatents + noise.Next(baseLatents) * refinerSigmas[0]) / Math.Sqrt(1.0 + (double)refinerSigmas[0] * refinerSigmas[0]);
        return DenoiseStage.Run(refinerSampler, guider, refine.Model.Denoiser, refine.Model.Network, noisy, refinerSigmas, refinerConditioning,
            noise, options).MoveToOuterDisposeScope();
    }

    /// <summary>Images [B, 3, H, W] in [0, 1].</summary>
    public static Tensor Images(SdxlModel model, ComponentRegistry registry, IReadOnlyList<SampleRequest> rows, GenerationSettings shared,
        SamplingOptions? options = null, RefinerStep? refine = null)
    {
        using var latents = Latents(model, registry, rows, shared, options, refine);
        return DecodeStage.Run(model.FirstStage, latents, samplesAtATime: 16);
    }

    static ConditioningPair Condition(SdxlModel model, IReadOnlyList<SampleRequest> rows, double negativeAesthetic, double? aestheticOverride = null)
    {
        var tokens = TokenizeStage.Run(rows.Select(r => r.Prompt).ToList());
        var empty = TokenizeStage.Run(rows.Select(_ => "").ToList());
        IReadOnlyList<ConditionerInput> Rows(Tokens t, Func<SampleRequest, double> aesthetic) => rows.Select((r, i) =>
            new ConditionerInput(t.ClipL[i].Ids.ToArray(), t.OpenClip[i].Ids.ToArray(), r.OriginalSize, r.Crop, r.TargetSize, aesthetic(r))).ToList();
        using var noGrad = no_grad();
        var (c, u) = model.Conditioner.GetUnconditionalConditioning(Rows(tokens, r => aestheticOverride ?? r.AestheticScore),
            Rows(empty, _ => negativeAesthetic), new[] { EmbedderKeys.Text });
        return new ConditioningPair(c, u);
    }
}

/// <summary>A refiner model and how to apply it (for <see cref="BatchGeneration"/>).</summary>
public sealed record RefinerStep(SdxlModel Model, RefinerSettings Settings);
