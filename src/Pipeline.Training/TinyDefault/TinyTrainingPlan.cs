using Pipeline.Conditioning;
using Pipeline.Diffusion.Training;
using Pipeline.Training.World;

namespace Pipeline.Training.TinyDefault;

/// <summary>One diffusion stage: how many steps on which buckets (the SDXL paper's stages, in miniature).</summary>
public sealed record DiffusionStage(string Name, long Steps, IReadOnlyList<ImageSize> Buckets, double LearningRate = 1e-3, long WarmupSteps = 100);

/// <summary>
/// How the embedded default is trained: the VAE first, then the base in stages (low resolution → 64×64 → multi-aspect),
/// then the refiner on the first 200 noise scales with high-quality (large-original) data. Deterministic given the seed.
/// <see cref="LossWeighting"/> replaces the ε weighting of the base's stages (and of the refiner's when
/// <see cref="RefinerLossWeighting"/> is null); <see cref="SigmaSampler"/> replaces the
/// uniform draw over the 1000 discrete noise scales of the base stages (the refiner keeps its first
/// <see cref="RefinerMaxIdx"/> scales). Null keeps sgm's SDXL defaults. <see cref="Bf16Encode"/>: the diffusion stages
/// encode their images with a bfloat16 copy of the VAE where the CPU has native bf16 (2.2× faster encoding, about a third
/// of a base step saved; other CPUs and GPUs encode in float32). <see cref="Bf16Vae"/>: both VAE phases train
/// mixed-precision on such CPUs (a bfloat16 <see cref="ComputeCopy"/> computes, float32 master weights; 1.5–1.7× faster
/// steps); elsewhere in float32. <see cref="DataEpochs"/>: each diffusion stage trains on
/// ⌈steps / DataEpochs⌉ distinct batches of its world, visited DataEpochs times (<see cref="RepeatingData"/>), with a
/// <see cref="LatentCache"/> holding all of them, so epochs after the first skip the frozen encoder; 1: every batch new.
/// (A trial of six epochs with <see cref="VaeRefineSteps"/> 1300 and <see cref="ChannelsLastEncode"/> trained in 58.5 min
/// instead of about 65 but gave a measurably weaker model, so the defaults stay: models/README.md, fourth trial.)
/// <see cref="CheckpointEvery"/>: every VAE phase, diffusion stage and distillation writes its training state to the work
/// folder that often (and at its end), and a rerun resumes from it bit-exactly, so an interrupted run loses at most that
/// many steps (about 2 min of the 64×64 base stage at 200). <see cref="VaePolishSteps"/>: the VAE's third phase, a
/// decoder-only fine-tune on the world with one sample in <see cref="VaePolishFlatEvery"/> a flat background
/// (<see cref="FlatBackgroundData"/>), so flat areas come back flat; the encoder, and so every latent the diffusion
/// stages train on, is the same as without it; 0 skips it.
/// </summary>
public sealed record TinyTrainingPlan(
    long Seed = 20251126,
    long VaeSteps = 900, int VaeBatch = 32, double VaeLearningRate = 2e-3,
    long VaeRefineSteps = 1500, double VaeRefineLearningRate = 1e-3, double VaeRefineL2Weight = 1.0, double VaeRefineEdgeWeight = 0.5,
    double VaeRefineEmaDecay = 0.995,
    long VaePolishSteps = 200, double VaePolishLearningRate = 2e-4, int VaePolishFlatEvery = 8, double VaePolishEmaDecay = 0.99,
    int BaseBatch = 64, IReadOnlyList<DiffusionStage>? BaseStages = null,
    int RefinerBatch = 64, long RefinerSteps = 3000, int RefinerMaxIdx = 200,
    double EmaDecay = 0.999, double CropProbability = 0.5,
    long TaesdSteps = 600, int TaesdChannels = 32, double TaesdLearningRate = 2e-3,
    ILossWeighting? LossWeighting = null, ISigmaSampler? SigmaSampler = null, bool Bf16Encode = true, bool Bf16Vae = true,
    int DataEpochs = 4, long CheckpointEvery = 200)
{
    /// <summary>
    /// The refiner's loss weighting: min-SNR-2 (<see cref="MinSnrWeighting"/>), i.e. the ε loss scaled by min(1, 2σ²).
    /// Under the plain ε weighting the refiner's loss below t ≈ 20 (about 5× the loss near t = 200) dominated its
    /// gradient: it beat the base there (ε loss 0.85× the base's) and lost to it from t = 60 to 200 (1.16–1.51×), where a
    /// handoff at 0.8 starts it, so handoff images came out blurrier than the base's (sharpness 2.19 vs 2.52). With
    /// min-SNR-2: 1.02–1.20× the base's loss from t = 60 to 200, handoff sharpness 2.60. Null: <see cref="LossWeighting"/>
    /// (sgm's ε weighting when that is null too).
    /// </summary>
    public ILossWeighting? RefinerLossWeighting { get; init; } = new MinSnrWeighting(2.0);

    /// <summary>The diffusion stages feed their frozen encoder channels-last images
    /// (<see cref="DiffusionTrainingSettings.ChannelsLastEncode"/>: 12 % faster cache-miss steps, other last bits). Off:
    /// the shipped weights were trained without it, and <c>sdxl train</c> reproduces them bit for bit on their CPU kind.</summary>
    public bool ChannelsLastEncode { get; init; }

    /// <summary>The diffusion stages (base and refiner) train with denormal floats flushed to zero on their thread
    /// (<see cref="TrainingSettings.FlushDenormals"/>). Measured at <c>sdxl train --scale 0.1</c>: see models/README.md.
    /// Off: the shipped weights were trained without it.</summary>
    public bool FlushDenormals { get; init; }

    /// <summary>The TAESD decoder's distillation computes its pairs (encode, then decode) with a bfloat16 copy of the
    /// VAE where the CPU has native bf16 (<see cref="TaesdTrainer"/>'s teacher dtype: the pairs 3× faster, the step 40 %;
    /// other CPUs and GPUs: float32). The TAESD encoder's distillation (not part of "all") keeps a float32 teacher.</summary>
    public bool Bf16TaesdTeacher { get; init; } = true;

    /// <summary>The VAE's second and third phases train the decoder on noisy latents (<see cref="VaeTrainingSettings.LatentNoise"/>:
    /// per sample a standard deviation up to this share of the latents'), so that a diffusion model's small latent errors
    /// do not become lumpy outlines. 0: off.</summary>
    public double VaeLatentNoise { get; init; } = 0.25;

    /// <summary>
    /// The plan with <paramref name="weighting"/> as the loss weighting of every diffusion stage, the refiner's too
    /// (what <c>sdxl train --loss-weighting</c> and <c>recipes/train-tiny.csx</c> mean); null: the plan unchanged.
    /// </summary>
    public TinyTrainingPlan WithLossWeighting(ILossWeighting? weighting) =>
        weighting is null ? this : this with { LossWeighting = weighting, RefinerLossWeighting = weighting };

    /// <summary>The distinct batches a diffusion stage of <paramref name="steps"/> steps draws (<see cref="DataEpochs"/> passes over them).</summary>
    public long DistinctBatches(long steps) => Math.Max(1, (steps + DataEpochs - 1) / DataEpochs);

    public IReadOnlyList<DiffusionStage> EffectiveBaseStages => BaseStages ?? new[]
    {
        new DiffusionStage("low-res 32x32", 500, WorldBuckets.Single(32, 32)),
        new DiffusionStage("64x64", 3000, WorldBuckets.Single(64, 64)),
        new DiffusionStage("multi-aspect", 800, WorldBuckets.MultiAspect, LearningRate: 5e-4, WarmupSteps: 20),
    };

    /// <summary>The same plan with every step count multiplied by <paramref name="factor"/> (e.g. quick trials).</summary>
    public TinyTrainingPlan Scaled(double factor) => this with
    {
        VaeSteps = Math.Max(1, (long)(VaeSteps * factor)),
        VaeRefineSteps = Math.Max(1, (long)(VaeRefineSteps * factor)),
        VaePolishSteps = VaePolishSteps == 0 ? 0 : Math.Max(1, (long)(VaePolishSteps * factor)),
        RefinerSteps = Math.Max(1, (long)(RefinerSteps * factor)),
        TaesdSteps = Math.Max(1, (long)(TaesdSteps * factor)),
        BaseStages = EffectiveBaseStages.Select(s => s with { Steps = Math.Max(1, (long)(s.Steps * factor)), WarmupSteps = Math.Min(s.WarmupSteps, Math.Max(1, (long)(s.Steps * factor) / 4)) }).ToList(),
    };

    public ShapeWorldSettings World(long seedOffset, int batch, IReadOnlyList<ImageSize> buckets) =>
        ShapeWorldSettings.Base(Seed + seedOffset, batch) with { Buckets = buckets, CropProbability = CropProbability };
}
