using static TorchSharp.torch;
using Pipeline.Diffusion.Training;

namespace Pipeline.Training;

/// <summary>
/// Settings every trainer shares: step count, AdamW with a warm-up schedule, gradient clipping, EMA and the seed.
/// The batch size is the data source's. Thread counts are the caller's (configure <c>TorchRuntime</c>); a resume
/// is bit-exact only with the same thread count.
/// </summary>
public abstract record TrainingSettings
{
    public long Steps { get; init; } = 1000;
    public double LearningRate { get; init; } = 1e-3;
    public long WarmupSteps { get; init; } = 100;
    public LearningRateDecay Decay { get; init; } = LearningRateDecay.Constant;
    /// <summary>Cosine decay ends at this fraction of <see cref="LearningRate"/>.</summary>
    public double FinalLearningRateFraction { get; init; } = 0.1;
    public AdamWSettings AdamW { get; init; } = new();
    /// <summary>Global gradient-norm limit; 0 or infinity: no clipping.</summary>
    public double ClipNorm { get; init; } = 1.0;
    /// <summary>EMA decay of the trained weights; 0: no EMA.</summary>
    public double EmaDecay { get; init; } = 0.999;
    /// <summary>LitEma's warm-up: decay min(EmaDecay, (1 + n)/(10 + n)).</summary>
    public bool EmaWarmup { get; init; } = true;
    public long Seed { get; init; } = 0;

    public LearningRateSchedule Schedule => new(LearningRate, WarmupSteps, Decay, Steps, FinalLearningRateFraction);

    /// <summary>The training thread flushes denormal floats to zero while <see cref="Trainer.Train"/> runs
    /// (<see cref="Runtime.NativeSwitches.FlushDenormal"/>; switched off again when it returns). For one-thread training:
    /// libtorch's OpenMP workers keep their own setting. Off: IEEE denormals, as PyTorch's default.</summary>
    public bool FlushDenormals { get; init; }

    public virtual IEnumerable<string> Problems()
    {
        if (Steps < 0) yield return $"steps {Steps} must be >= 0";
        if (!(LearningRate > 0) || !double.IsFinite(LearningRate)) yield return $"learning rate {LearningRate} must be positive";
        if (WarmupSteps < 0) yield return $"warm-up steps {WarmupSteps} must be >= 0";
        if (!(FinalLearningRateFraction >= 0 && FinalLearningRateFraction <= 1)) yield return $"final learning-rate fraction {FinalLearningRateFraction} must be in [0, 1]";
        if (!(AdamW.Beta1 >= 0 && AdamW.Beta1 < 1) || !(AdamW.Beta2 >= 0 && AdamW.Beta2 < 1)) yield return $"AdamW betas ({AdamW.Beta1}, {AdamW.Beta2}) must be in [0, 1)";
        if (!(AdamW.Eps > 0)) yield return $"AdamW eps {AdamW.Eps} must be positive";
        if (!(AdamW.WeightDecay >= 0)) yield return $"AdamW weight decay {AdamW.WeightDecay} must be >= 0";
        if (!(ClipNorm >= 0)) yield return $"clip norm {ClipNorm} must be >= 0";
        if (!(EmaDecay >= 0 && EmaDecay < 1)) yield return $"EMA decay {EmaDecay} must be in [0, 1)";
    }

    internal void Validate()
    {
        var problems = Problems().ToList();
        if (problems.Count > 0) throw new ArgumentException($"invalid {GetType().Name}: {string.Join("; ", problems)}");
    }
}

/// <summary>
/// The diffusion step. Defaults are sgm's SDXL recipe: ε weighting, offset noise, σ drawn uniformly from a range of the
/// model's discrete noise scales. <see cref="LossWeighting"/> and <see cref="SigmaSampler"/> take any component of those
/// kinds (resolve names with <c>registry.LossWeighting(name)</c> / <c>registry.SigmaSampler(name)</c> at the edge).
/// </summary>
public sealed record DiffusionTrainingSettings : TrainingSettings
{
    public double OffsetNoiseLevel { get; init; } = 0.05;
    /// <summary>λ(σ) of the loss (sgm <c>loss_weighting</c>); SDXL: ε weighting σ⁻².</summary>
    public ILossWeighting LossWeighting { get; init; } = new EpsWeighting();
    /// <summary>
    /// The training σ distribution (sgm <c>sigma_sampling</c>); null: sgm's <see cref="DiscreteSampling"/> over the model's
    /// own noise-scale table in [<see cref="MinIdx"/>, <see cref="MaxIdx"/>).
    /// </summary>
    public ISigmaSampler? SigmaSampler { get; init; }
    /// <summary>With the default sigma sampler: noise scales drawn uniformly from [MinIdx, MaxIdx) of the model's table (the refiner: MaxIdx 200).</summary>
    public int MinIdx { get; init; } = 0;
    public int? MaxIdx { get; init; }
    /// <summary>Sample the VAE posterior (sgm) rather than take its mean.</summary>
    public bool SampleLatents { get; init; } = true;
    /// <summary>The dtype the frozen VAE encodes the training images in (null: the VAE's own). bfloat16 encodes 2.2× faster
    /// on CPUs with native bf16 (the encoder was about half of a tiny base step); on the embedded default's VAE it moves
    /// latents by 0.2 % of their spread on average (mean |Δ| 0.010 vs latent std 4.8; a fifth of the posterior noise
    /// they are drawn with).</summary>
    public ScalarType? EncodeDType { get; init; }
    /// <summary>Feed the frozen VAE encoder channels-last images (<see cref="Runtime.ChannelsLast"/>): a cache-miss step
    /// of the tiny base's 64×64 stage 830 → 730 ms on one core (the encode 14 % faster in bfloat16, 37 % in float32); the
    /// same posterior up to the kernels' rounding, so not the same bytes as without it. Off by default, which keeps
    /// <c>sdxl train</c> reproducing the shipped weights bit for bit.</summary>
    public bool ChannelsLastEncode { get; init; }
    /// <summary>Apply the text embedders' UCG dropout (their configs' UcgRate, e.g. 10 % for CFG).</summary>
    public bool UcgDropout { get; init; } = true;
    /// <summary>Keep the VAE posterior of up to this many distinct training images (a <see cref="LatentCache"/>): an image
    /// the data shows again is not re-encoded (its latent is still sampled afresh); 0: encode every batch. Pays when the
    /// data repeats (epochs over a dataset, <see cref="RepeatingData"/>): the frozen encoder was two thirds of a tiny base
    /// step. Memory: 2 × latent channels × latent pixels per image in <see cref="EncodeDType"/> (1 KB in bf16 for a
    /// 64×64 image of the embedded default).</summary>
    public long LatentCacheSize { get; init; }
    /// <summary>Fill the latent cache ahead of the loop on a second thread (<see cref="LatentPrefetcher"/>): rendering and
    /// encoding the next batches overlap the steps, with the same bytes as without it. Pays when a core is free (the
    /// embedded default's base lane); needs <see cref="LatentCacheSize"/> &gt; 0.</summary>
    public bool PrefetchLatents { get; init; }

    public override IEnumerable<string> Problems()
    {
        foreach (var p in base.Problems()) yield return p;
        if (!(OffsetNoiseLevel >= 0)) yield return $"offset noise level {OffsetNoiseLevel} must be >= 0";
        if (LatentCacheSize < 0) yield return $"latent cache size {LatentCacheSize} must be >= 0 (0: no cache)";
        if (PrefetchLatents && LatentCacheSize <= 0) yield return "prefetching latents needs a latent cache (LatentCacheSize > 0)";
        if (MinIdx < 0 || (MaxIdx is { } max && max <= MinIdx)) yield return $"noise-scale range [{MinIdx}, {MaxIdx}) is empty or negative";
        if (LossWeighting is null) yield return "loss weighting must not be null (SDXL: EpsWeighting)";
        if (SigmaSampler is not null && (MinIdx != 0 || MaxIdx is not null))
            yield return $"the noise-scale range [{MinIdx}, {MaxIdx}) applies to the default discrete sigma sampler only; with {SigmaSampler} set the range on that sampler";
    }
}

/// <summary>
/// KL-regularised autoencoder training (sgm's loss without GAN and LPIPS): per image, Σ|x − x̂| (+ L2Weight·Σ(x − x̂)²)
/// (+ EdgeWeight·Σ|∇x − ∇x̂|) + KlWeight·KL, as in sgm, divided by the image's element count so the loss is on a
/// per-pixel scale.
/// </summary>
public sealed record VaeTrainingSettings : TrainingSettings
{
    public double KlWeight { get; init; } = 1e-6;
    public double L2Weight { get; init; } = 0.0;
    /// <summary>Weight of the edge term: Σ|∇x − ∇x̂| over horizontal and vertical neighbour differences (an edge-aware
    /// loss that a plain L1 lets blur); 0: off.</summary>
    public double EdgeWeight { get; init; } = 0.0;
    /// <summary>Train the decoder (and <c>post_quant_conv</c>) only, the encoder frozen — as Stability's
    /// sd-vae-ft-ema/ft-mse fine-tunes: the latent space stays the one the UNets were trained on, so a fine-tuned
    /// decoder drops into an existing model. The KL term has nothing to train then and must be 0.</summary>
    public bool DecoderOnly { get; init; }
    /// <summary>The latent the decoder sees gets Gaussian noise whose standard deviation, per sample, is drawn uniformly
    /// from [0, LatentNoise] times the batch's latent standard deviation, while the target stays the clean image: the
    /// decoder learns to render latents near the encoder's (as a diffusion model's samples are) as clean images, and an
    /// encoder trained with it cannot outscale the noise (it is relative), so it spreads what it encodes over the latent
    /// until such errors no longer move outlines. 0: off.</summary>
    public double LatentNoise { get; init; }
    /// <summary>LDM's <c>disc_weight</c>: the adversarial term's weight on top of the adaptive gradient balance
    /// (SD's autoencoder configs use 0.5); 0: no discriminator.</summary>
    public double DiscriminatorWeight { get; init; }
    /// <summary>LDM's <c>disc_start</c>: the step from which the discriminator trains and the adversarial term counts
    /// (a warm-up on the reconstruction loss alone).</summary>
    public long DiscriminatorStart { get; init; }
    /// <summary>The discriminator's learning rate (constant; null: the VAE's base rate).</summary>
    public double? DiscriminatorLearningRate { get; init; }
    /// <summary>Width of the discriminator's first layer (doubling per layer, at most 8×).</summary>
    public int DiscriminatorChannels { get; init; } = 32;
    /// <summary>Stride-2 layers of the discriminator (taming's <c>n_layers</c>; 2 gives 14×14 patches of a 64×64 image).</summary>
    public int DiscriminatorLayers { get; init; } = 2;

    /// <summary>The dtype the forward and backward passes run in (null or float32: the VAE's own float32). bfloat16 or
    /// float16 trains mixed-precision: a working copy in that dtype computes, the float32 VAE keeps the master weights,
    /// the optimiser and EMA state (<see cref="ComputeCopy"/>); posterior, sampling and the loss stay float32. On CPUs
    /// with native bf16 a tiny VAE's step at batch 32 took 650 instead of 1101 ms on one thread.</summary>
    public ScalarType? ComputeDType { get; init; }

    public VaeTrainingSettings() => EmaDecay = 0.0;

    public override IEnumerable<string> Problems()
    {
        foreach (var p in base.Problems()) yield return p;
        if (!(KlWeight >= 0)) yield return $"KL weight {KlWeight} must be >= 0";
        if (!(L2Weight >= 0)) yield return $"L2 weight {L2Weight} must be >= 0";
        if (!(EdgeWeight >= 0)) yield return $"edge weight {EdgeWeight} must be >= 0";
        if (!(DiscriminatorWeight >= 0) || !double.IsFinite(DiscriminatorWeight)) yield return $"discriminator weight {DiscriminatorWeight} must be finite and >= 0";
        if (DiscriminatorStart < 0) yield return $"discriminator start {DiscriminatorStart} must be >= 0";
        if (DiscriminatorLearningRate is { } dlr && (!(dlr > 0) || !double.IsFinite(dlr))) yield return $"discriminator learning rate {dlr} must be positive";
        if (DiscriminatorChannels < 8 || DiscriminatorChannels % 8 != 0) yield return $"discriminator channels {DiscriminatorChannels} must be a positive multiple of 8";
        if (DiscriminatorLayers is < 1 or > 4) yield return $"discriminator layers {DiscriminatorLayers} must be in 1..4";
        if (ComputeDType is { } dt && dt is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16))
            yield return $"compute dtype {dt} is not one of Float32, BFloat16, Float16";
        if (!(LatentNoise >= 0) || !double.IsFinite(LatentNoise)) yield return $"latent noise {LatentNoise} must be finite and >= 0";
        if (DecoderOnly && KlWeight != 0) yield return $"a decoder-only fine-tune has no KL term to train: KL weight must be 0, got {KlWeight}";
    }
}

/// <summary>One step's report: the 1-based step just finished, the total, its loss, the rate over this run and the time left.</summary>
public sealed record TrainingProgress(long Step, long TotalSteps, double Loss, double StepsPerSecond, TimeSpan Eta, double LearningRate, double GradNorm);

/// <summary>
/// What a training run reports: <see cref="OnStep"/> after every step (for a progress bar); <see cref="OnSample"/>
/// every <see cref="SampleEvery"/> steps with the EMA weights swapped in (e.g. write a sample grid); <see cref="OnCheckpoint"/>
/// every <see cref="CheckpointEvery"/> steps (e.g. call the trainer's SaveCheckpoint). Each hook gets the step just finished.
/// </summary>
public sealed record TrainingCallbacks(
    Action<TrainingProgress>? OnStep = null,
    long SampleEvery = 0, Action<long>? OnSample = null,
    long CheckpointEvery = 0, Action<long>? OnCheckpoint = null);
