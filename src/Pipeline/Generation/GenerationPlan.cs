using System.Collections.Immutable;
using Pipeline.Conditioning;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using static TorchSharp.torch;

namespace Pipeline.Generation;

/// <summary>
/// A generation as a value: every resolved component of one run (model, prompt rows, image size, schedule, sampler,
/// guider, seed, and optionally precomputed conditioning, a noise factory, an img2img start, a refiner step and decode
/// options). Vary it with <c>with</c> or the <c>With…</c> helpers (each returns a new plan), print it with
/// <see cref="Describe"/>, run it with <see cref="Run(IProgress{PlanProgress}?, CancellationToken)"/>. One executor
/// (<see cref="PlanExecutor"/>) runs every plan: text-to-image, img2img, both refiner modes and mixed batches.
/// <para>The plan holds objects, never registry names (<see cref="Names"/> are labels only), and does not own the
/// models or tensors it refers to.</para>
/// </summary>
public sealed record GenerationPlan(SdxlModel Model, ImmutableArray<PromptRow> Rows, ImageSize Size, Sigmas Sigmas, ISampler Sampler,
    IGuider Guider, long Seed)
{
    /// <summary>Precomputed conditioning of the base model (Tokenize + Condition are skipped); rows then only label the images.</summary>
    public ConditioningPair? Conditioning { get; init; }

    /// <summary>How prompts are read: style (A1111, ComfyUI or sgm's literal text) and textual-inversion embeddings.</summary>
    public PromptOptions Prompting { get; init; } = PromptOptions.Default;

    /// <summary>
    /// LoRA/LyCORIS adapters merged into the base model (both text encoders and the UNet, each with its strength) for
    /// the run and restored bit for bit after it. A1111's <c>&lt;lora:name:w&gt;</c> prompt tags must name one of these
    /// (an edge such as the CLI resolves the tags into this list).
    /// </summary>
    public ImmutableArray<Adapters.AdapterUse> Adapters { get; init; } = ImmutableArray<Adapters.AdapterUse>.Empty;

    /// <summary>Whether <see cref="Adapters"/> are merged into the weights for the run (default) or run as forward hooks.</summary>
    public Adapters.AdapterApplication AdapterApplication { get; init; } = Pipeline.Adapters.AdapterApplication.Merged;

    /// <summary>Makes the run's noise source from <see cref="Seed"/> (the refiner's from seed + 1).</summary>
    public INoiseSourceFactory Noise { get; init; } = SeededNoiseFactory.Instance;

    /// <summary>img2img: the image or latent to start from and the strength.</summary>
    public InitInput? Init { get; init; }

    /// <summary>The refiner, in handoff or SDEdit mode.</summary>
    public RefinerStep? Refiner { get; init; }

    /// <summary>A1111's hires fix: a second pass at a larger size from the first pass's enlarged latent.</summary>
    public HiresStep? Hires { get; init; }

    public DecodeOptions Decode { get; init; } = DecodeOptions.Default;

    /// <summary>How init images are encoded (the VAE, or a TAESD-layout tiny encoder).</summary>
    public EncodeOptions Encode { get; init; } = EncodeOptions.Default;

    /// <summary>Registry names of the sampler and schedule (labels for printing and metadata).</summary>
    public ComponentNames Names { get; init; } = ComponentNames.None;

    /// <summary>A text-to-image plan of one prompt (repeated <paramref name="batch"/> times) with the default micro-conditioning.</summary>
    public static GenerationPlan TextToImage(SdxlModel model, string prompt, ImageSize size, Sigmas sigmas, ISampler sampler, IGuider guider,
        long seed, string negative = "", int batch = 1) =>
        new(model, PromptRow.For(prompt, size, negative, batch), size, sigmas, sampler, guider, seed);

    /// <summary>Number of images.</summary>
    public int BatchSize => Conditioning is { } c ? (int)c.BatchSize : Rows.IsDefault ? 0 : Rows.Length;

    /// <summary>The schedule the base model runs: the img2img tail, cut at the handoff boundary when a handoff refiner follows.</summary>
    public Sigmas BaseSigmas => Refiner is { Mode: RefinerMode.Handoff } r ? ScheduleSplit.Until(RunSigmas, ScheduleSplit.HandoffIndex(RunSigmas.Steps, r.At)) : RunSigmas;

    /// <summary>The schedule the refiner runs (null without a refiner).</summary>
    public Sigmas? RefinerSigmas => Refiner switch
    {
        null => null,
        { Mode: RefinerMode.Handoff } r => RunSigmas.From(ScheduleSplit.HandoffIndex(RunSigmas.Steps, r.At)),
        var r => ScheduleSplit.SdEdit(r.At, r.Steps),
    };

    /// <summary>The schedule after img2img's start (the whole schedule for text-to-image).</summary>
    public Sigmas RunSigmas => Init is { } init ? Sigmas.From(ScheduleSplit.Img2ImgStart(Sigmas.Steps, init.Strength)) : Sigmas;

    /// <summary>Sampler steps over the whole plan (base + refiner + hires pass).</summary>
    public int TotalSteps => BaseSigmas.Steps + (RefinerSigmas?.Steps ?? 0) + (Hires?.RunSigmas.Steps ?? 0);

    /// <summary>The latent shape of the first pass (the plan's size).</summary>
    public long[] LatentShape => Model.Config.LatentShape(BatchSize, Size.Height, Size.Width);

    /// <summary>The size of the images the plan produces: the hires size when there is a hires step.</summary>
    public ImageSize OutputSize => Hires?.Size ?? Size;

    public GenerationPlan WithSeed(long seed) => this with { Seed = seed };
    public GenerationPlan WithSampler(ISampler sampler, string? name = null) => this with { Sampler = sampler, Names = Names with { Sampler = name } };
    public GenerationPlan WithSigmas(Sigmas sigmas, string? schedule = null) => this with { Sigmas = sigmas, Names = Names with { Schedule = schedule } };
    public GenerationPlan WithGuider(IGuider guider) => this with { Guider = guider };
    public GenerationPlan WithCfg(double scale) => this with { Guider = CfgScale.Guider(scale) };
    public GenerationPlan WithConditioning(ConditioningPair conditioning) => this with { Conditioning = conditioning };
    public GenerationPlan WithPrompting(PromptOptions prompting) => this with { Prompting = prompting };
    public GenerationPlan WithAdapters(params Adapters.AdapterUse[] adapters) => this with { Adapters = adapters.ToImmutableArray() };
    public GenerationPlan WithInit(InitInput init) => this with { Init = init };
    public GenerationPlan WithRefiner(RefinerStep? refiner) => this with { Refiner = refiner };
    public GenerationPlan WithHires(HiresStep? hires) => this with { Hires = hires };

    /// <summary>Every problem with this plan (empty when valid).</summary>
    public IReadOnlyList<string> Problems() => PlanValidation.Problems(this);

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem; returns the plan when valid.</summary>
    public GenerationPlan Validate()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ArgumentException("invalid generation plan: " + string.Join("; ", problems));
        return this;
    }

    /// <summary>Every component with its knobs, the σ schedule, sizes and seeds, one per line (deterministic).</summary>
    public string Describe() => PlanDescription.Of(this);

    public override string ToString() => Describe();

    /// <summary>Runs the plan: latents, decoded images and their parameters.</summary>
    public GenerationResult Run(IProgress<PlanProgress>? progress = null, CancellationToken cancellation = default) =>
        PlanExecutor.Run(this, PlanExecutor.Progress(this, progress, cancellation));

    /// <summary>Runs the plan with sampler options shared by every phase (a host's progress bar).</summary>
    public GenerationResult Run(SamplingOptions options) => PlanExecutor.Run(this, _ => options);

    /// <summary>Runs the plan up to the latents (no decode).</summary>
    public Tensor RunLatents(IProgress<PlanProgress>? progress = null, CancellationToken cancellation = default) =>
        PlanExecutor.Latents(this, PlanExecutor.Progress(this, progress, cancellation)).Latents;
}
