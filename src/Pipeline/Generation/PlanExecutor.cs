using System.Collections.Immutable;
using Pipeline.Conditioning;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using Pipeline.Stages;
using static TorchSharp.torch;

namespace Pipeline.Generation;

/// <summary>
/// The one code path that makes images: Tokenize → Condition → Noise (or Encode + Noise) → Denoise → (Refine) → Decode,
/// composed from the stage functions for whatever the plan holds. Text-to-image, img2img, both refiner modes, mixed
/// batches, the CLI, recipes and the evaluation all run here.
/// <para>Conventions, decided once: samplers receive x already at σ₀ (k-diffusion's); the base draws its start noise
/// and its sampler noise from one source made from the plan's seed, the refiner from its own source made from seed + 1;
/// an empty negative prompt zeroes the unconditional text embeddings of its row (sgm), any other is encoded.</para>
/// </summary>
public static class PlanExecutor
{
    /// <summary>Validates the plan, then runs it to latents; also returns the tokens (when prompts were tokenized).</summary>
    public static (Tensor Latents, PromptTokens? Tokens) Latents(GenerationPlan plan, Func<string, SamplingOptions> options)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        plan.Validate();
        var tokens = plan.Conditioning is null || plan.Refiner is { Conditioning: null } ? PromptTokenizer.Run(plan.Rows, plan.Prompting) : null;
        Tensor baseRun;
        // Adapters change the base model's weights for the base phase only (its conditioning included) and are undone after.
        using (Apply(plan.Model, plan.Adapters, plan.AdapterApplication))
            baseRun = Base(plan, tokens, options("base"));
        var baseLatents = LatentCheck.Require(baseRun, plan.LatentShape, "base", plan.Names.Sampler, plan.Sampler);
        if (plan.Hires is { } hires)
        {
            var second = HiresPlan(plan, hires, baseLatents);
            Tensor enlarged;
            try { enlarged = Latents(second, phase => options(phase == "base" ? "hires" : phase)).Latents; }
            finally
            {
                second.Init!.Tensor.Dispose();
                baseLatents.Dispose();
            }
            return (enlarged, tokens);
        }
        if (plan.Refiner is not { } refiner) return (baseLatents, tokens);
        Tensor refined;
        using (baseLatents)
        using (Apply(refiner.Model, refiner.Adapters, plan.AdapterApplication))
            refined = Refine(plan, refiner, baseLatents, tokens, options("refiner"));
        return (LatentCheck.Require(refined, plan.LatentShape, "refiner", refiner.SamplerName ?? plan.Names.Sampler, refiner.Sampler), tokens);
    }

    /// <summary>
    /// The hires pass as a plan of its own: the first pass's latent enlarged to the hires size as its init latent, the
    /// plan's prompt rows with their micro-conditioning scaled to that size, the hires schedule, strength and sampler,
    /// seed + 2. The caller disposes the init latent.
    /// </summary>
    static GenerationPlan HiresPlan(GenerationPlan plan, HiresStep hires, Tensor firstPass)
    {
        int f = plan.Model.Config.Vae.DownscaleFactor;
        double sy = (double)hires.Size.Height / plan.Size.Height, sx = (double)hires.Size.Width / plan.Size.Width;
        ImageSize Scale(ImageSize s) => new((int)Math.Round(s.Height * sy), (int)Math.Round(s.Width * sx));
        var rows = plan.Rows.Select(r => r with
        {
            Micro = r.Micro with
            {
                OriginalSize = Scale(r.Micro.OriginalSize),
                Crop = new CropCoords((int)Math.Round(r.Micro.Crop.Top * sy), (int)Math.Round(r.Micro.Crop.Left * sx)),
                TargetSize = r.Micro.TargetSize == plan.Size ? hires.Size : Scale(r.Micro.TargetSize),
            },
        }).ToImmutableArray();
        Tensor enlarged;
        using (NewDisposeScope())
            enlarged = hires.Upscaler.IsPixel()
                // Pixel upscalers: decode, resize the image, and let the second plan encode it.
                ? hires.Upscaler.Resize(DecodeStage.Run(plan.Model.FirstStage, firstPass, plan.Decode with { Taesd = null }), hires.Size.Height, hires.Size.Width)
                    .clamp(0, 1).MoveToOuterDisposeScope()
                : hires.Upscaler.Resize(firstPass, hires.Size.Height / f, hires.Size.Width / f).MoveToOuterDisposeScope();
        return plan with
        {
            Rows = rows, Size = hires.Size, Sigmas = hires.Sigmas, Sampler = hires.Sampler ?? plan.Sampler,
            Init = hires.Upscaler.IsPixel() ? InitInput.FromImage(enlarged, hires.Strength) : InitInput.FromLatent(enlarged, hires.Strength),
            Seed = unchecked(plan.Seed + 2), Hires = null,
            Names = plan.Names with { Sampler = hires.SamplerName ?? (hires.Sampler is null ? plan.Names.Sampler : null) },
        };
    }

    /// <summary>Adapters on <paramref name="model"/> until disposed: merged (restored after) or as forward hooks; null for none.</summary>
    static IDisposable? Apply(Models.Bundles.SdxlModel model, ImmutableArray<Adapters.AdapterUse> uses, Adapters.AdapterApplication how) =>
        uses.IsDefaultOrEmpty ? null
        : how == Adapters.AdapterApplication.OnTheFly ? Adapters.AdapterHooks.Attach(model, uses)
        : Adapters.AdapterMerge.Apply(model, uses);

    /// <summary>Runs the plan and decodes; the result carries A1111-style parameters per image.</summary>
    public static GenerationResult Run(GenerationPlan plan, Func<string, SamplingOptions> options)
    {
        var (latents, tokens) = Latents(plan, options);
        try
        {
            var images = DecodeStage.Run(plan.Model.FirstStage, latents, plan.Decode);
            if (plan.Init is { Mask: { } mask, IsLatent: false } init)
            {
                // Inpainting: the original pixels outside the (blurred) mask, exactly.
                using var decoded = images;
                using var scope = NewDisposeScope();
                var pixelMask = InpaintStage.BlurMask(mask.Mask.to(ScalarType.Float32, decoded.device), mask.Blur);
                images = InpaintStage.Composite(decoded, init.Tensor, pixelMask).MoveToOuterDisposeScope();
            }
            return new GenerationResult(images, latents, PlanParameters.For(plan, tokens), tokens?.PromptTokensDropped ?? 0, tokens?.NegativeTokensDropped ?? 0);
        }
        catch
        {
            latents.Dispose();
            throw;
        }
    }

    /// <summary>Sampler options per phase that report to <paramref name="progress"/> with a running count over the whole plan.</summary>
    public static Func<string, SamplingOptions> Progress(GenerationPlan plan, IProgress<PlanProgress>? progress, CancellationToken cancellation)
    {
        // The total is read when the first phase starts, after the executor validated the plan.
        int? total = null;
        int done = 0;
        return phase =>
        {
            if (progress is null) return new SamplingOptions(null, cancellation);
            total ??= plan.TotalSteps;
            return new SamplingOptions(s => progress.Report(new PlanProgress(phase, s.Index + 1, s.Count, ++done, total.Value, s.Sigma)), cancellation);
        };
    }

    static Tensor Base(GenerationPlan plan, PromptTokens? tokens, SamplingOptions options)
    {
        var model = plan.Model;
        var sigmas = plan.BaseSigmas;
        using var owned = plan.Conditioning is null ? ConditionStage.Run(model.Conditioner, tokens!, plan.Rows) : null;
        var source = plan.Noise.Create(plan.Seed, sigmas);
        using var disposeSource = source as IDisposable;
        var conditioning = plan.Conditioning ?? owned!;
        if (plan.Init is { Mask: { } mask } masked)
        {
            // Inpainting: the same start as img2img (one draw n, x = x0 + n·σ0), sampled through the masked denoiser.
            using var scope = NewDisposeScope();
            var clean = Clean(plan, masked);
            var n = source.Next(clean);
            var start = clean + n * sigmas[0];
            var latentMask = InpaintStage.LatentMask(InpaintStage.BlurMask(mask.Mask.to(ScalarType.Float32, model.Device), mask.Blur),
                model.Config.Vae.DownscaleFactor);
            // An inpainting model also reads the mask and the masked image's latent through its extra input channels.
            var pair = model.Config.IsInpainting
                ? InpaintStage.WithConcat(conditioning, InpaintStage.ModelConcat(model, masked.Tensor, mask.Mask, plan.BatchSize, plan.Encode))
                : conditioning;
            return DenoiseStage.Run(model, start, sigmas, pair, plan.Sampler, plan.Guider, source, options,
                wrap: d => InpaintStage.Wrap(d, clean, n, latentMask)).MoveToOuterDisposeScope();
        }
        using var x = plan.Init is { } init ? Start(plan, init, source, sigmas) : NoiseStage.Initial(source, plan.LatentShape, sigmas, model.Device);
        return DenoiseStage.Run(model, x, sigmas, conditioning, plan.Sampler, plan.Guider, source, options);
    }

    /// <summary>img2img: the init image encoded (or the init latent) noised to the first σ of the run.</summary>
    static Tensor Start(GenerationPlan plan, InitInput init, INoiseSource source, Sigmas sigmas)
    {
        using var scope = NewDisposeScope();
        return NoiseStage.Renoise(source, Clean(plan, init), sigmas[0]).MoveToOuterDisposeScope();
    }

    /// <summary>The clean init latent, one per row: the init latent, or the init image encoded.</summary>
    static Tensor Clean(GenerationPlan plan, InitInput init) => init.IsLatent
        ? init.Tensor.to(ScalarType.Float32, plan.Model.Device).expand(plan.BatchSize, -1, -1, -1)
        : EncodeStage.Run(plan.Model, init.Tensor, plan.BatchSize, plan.Encode);

    static Tensor Refine(GenerationPlan plan, RefinerStep refiner, Tensor baseLatents, PromptTokens? tokens, SamplingOptions options)
    {
        var sigmas = plan.RefinerSigmas!;
        var rows = plan.Rows.Select(r => r with
        {
            Micro = r.Micro with { AestheticScore = refiner.AestheticScore, NegativeAestheticScore = refiner.NegativeAestheticScore },
        }).ToList();
        using var owned = refiner.Conditioning is null ? ConditionStage.Run(refiner.Model.Conditioner, tokens!, rows) : null;
        var conditioning = refiner.Conditioning ?? owned!;
        var source = plan.Noise.Create(unchecked(plan.Seed + 1), sigmas);
        using var disposeSource = source as IDisposable;
        return refiner.Mode == RefinerMode.Handoff
            ? RefineStage.Handoff(refiner.Model, baseLatents, sigmas, conditioning, refiner.Sampler, refiner.Guider, source, options)
            : RefineStage.SdEdit(refiner.Model, baseLatents, sigmas, conditioning, refiner.Sampler, refiner.Guider, source, options);
    }
}
