using Pipeline.Diffusion.Training;

namespace Pipeline.Training.Lora;

/// <summary>
/// LoRA training: rank, alpha and target layers of the <see cref="LoraNetwork"/>, plus the diffusion loss knobs the base
/// trainer has (<see cref="DiffusionTrainingSettings"/>: offset noise, loss weighting, VAE posterior sampling, UCG
/// dropout). No EMA by default (kohya's scripts train without one). The seed drives the LoRA initialisation and the loss's
/// draws. The base model is frozen; with <see cref="TextEncoders"/> the text encoders' Linear layers get LoRA layers too.
/// </summary>
public sealed record LoraTrainingSettings : TrainingSettings
{
    public int Rank { get; init; } = 8;
    /// <summary>kohya's network_alpha: the update is scaled by Alpha / Rank.</summary>
    public double Alpha { get; init; } = 8;
    public LoraTargets Targets { get; init; } = LoraTargets.Default;
    /// <summary>Also adapt the text encoders (kohya's targets: attention q/k/v/out and MLP fc1/fc2 of every layer of both,
    /// as selected by <see cref="Targets"/>); the conditioning then keeps its graph so they receive gradients.</summary>
    public bool TextEncoders { get; init; }
    public double OffsetNoiseLevel { get; init; } = 0.05;
    public ILossWeighting LossWeighting { get; init; } = new EpsWeighting();
    public bool SampleLatents { get; init; } = true;
    /// <summary>Keep the text embedders' UCG dropout so that classifier-free guidance keeps working with the LoRA.</summary>
    public bool UcgDropout { get; init; } = true;

    public LoraTrainingSettings()
    {
        EmaDecay = 0.0;
        WarmupSteps = 20;
    }

    /// <summary>The diffusion objective's settings (the same loss the base trainer uses).</summary>
    public DiffusionTrainingSettings Objective => new()
    {
        Steps = Steps, Seed = Seed, OffsetNoiseLevel = OffsetNoiseLevel, LossWeighting = LossWeighting,
        SampleLatents = SampleLatents, UcgDropout = UcgDropout,
    };

    public override IEnumerable<string> Problems()
    {
        foreach (var p in base.Problems()) yield return p;
        if (Rank < 1) yield return $"rank {Rank} must be >= 1";
        if (!(Alpha > 0) || !double.IsFinite(Alpha)) yield return $"alpha {Alpha} must be positive";
        if (Targets == LoraTargets.None) yield return "no LoRA targets";
        if (!(OffsetNoiseLevel >= 0)) yield return $"offset noise level {OffsetNoiseLevel} must be >= 0";
        if (LossWeighting is null) yield return "loss weighting must not be null (SDXL: EpsWeighting)";
    }
}
