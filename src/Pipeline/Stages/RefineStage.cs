using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Sampling;
using Pipeline.Models.Bundles;
using Pipeline.Tokenize;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>How the refiner takes over from the base model.</summary>
public enum RefinerMode
{
    /// <summary>The base stops at a σ boundary and the refiner continues the same trajectory, without re-noising.</summary>
    Handoff,
    /// <summary>The base finishes; the refiner re-noises its latents to a σ within its first 200 noise scales and denoises (SDEdit).</summary>
    SDEdit,
}

/// <summary>Refiner settings. SDXL's refiner is trained on the first 200 of the 1000 noise scales.</summary>
public sealed record RefinerSettings(
    RefinerMode Mode = RefinerMode.Handoff,
    double HandoffFraction = 0.8,
    double Strength = 0.3,
    int Steps = 10,
    string Sampler = "euler",
    double CfgScale = 5.0,
    double AestheticScore = 6.0,
    double NegativeAestheticScore = 2.5)
{
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (!(HandoffFraction > 0 && HandoffFraction < 1)) p.Add($"handoff fraction {HandoffFraction} must be in (0, 1)");
        if (!(Strength > 0 && Strength <= 1)) p.Add($"strength {Strength} must be in (0, 1]");
        if (Steps < 1) p.Add($"refiner steps {Steps} must be >= 1");
        if (!double.IsFinite(CfgScale) || CfgScale < 0) p.Add($"refiner cfg scale {CfgScale} must be finite and >= 0");
        return p;
    }
}

/// <summary>Refine: the refiner model denoises base latents, in either mode.</summary>
public static class RefineStage
{
    /// <summary>Index of the handoff σ in a schedule of <paramref name="steps"/> steps: the base runs steps [0, k).</summary>
    public static int HandoffIndex(int steps, double fraction) => Math.Clamp((int)Math.Round(steps * fraction), 1, steps - 1);

    /// <summary>
    /// Handoff: <paramref name="noisy"/> is the base's latent at σ = <paramref name="remaining"/>[0] (x₀ + σ·n scale); the
    /// refiner continues over <paramref name="remaining"/> with its own conditioning.
    /// </summary>
    public static Tensor Continue(SdxlModel refiner, ISampler sampler, RefinerSettings s, Tensor noisy, Sigmas remaining,
        string prompt, string negative, GenerationSettings g, INoiseSource noise, SamplingOptions? options = null)
    {
        using var scope = NewDisposeScope();
        using var conditioning = Condition(refiner, s, prompt, negative, g, (int)noisy.shape[0]);
        var x = noisy / Math.Sqrt(1.0 + (double)remaining[0] * remaining[0]);
        return DenoiseStage.Run(sampler, DenoiseStage.GuiderFor(s.CfgScale), refiner.Denoiser, refiner.Network, x, remaining,
            conditioning, noise, options).MoveToOuterDisposeScope();
    }

    /// <summary>SDEdit: re-noise finished latents to the σ of <see cref="RefinerSettings.Strength"/> within the first 200 scales and denoise.</summary>
    public static Tensor SdEdit(SdxlModel refiner, ISampler sampler, RefinerSettings s, Tensor latents,
        string prompt, string negative, GenerationSettings g, SeededNoise noise, SamplingOptions? options = null)
    {
        var schedule = TruncatedDDPMDiscretization.ForStrength(s.Strength);
        var sigmas = schedule.GetSigmas(Math.Min(s.Steps, schedule.MaxTimestep + 1));
        using var scope = NewDisposeScope();
        var n = noise.Next(latents);
        var noisy = latents + n * sigmas[0];
        return Continue(refiner, sampler, s, noisy, sigmas, prompt, negative, g, noise, options).MoveToOuterDisposeScope();
    }

    static ConditioningPair Condition(SdxlModel refiner, RefinerSettings s, string prompt, string negative, GenerationSettings g, int batch) =>
        ConditionStage.ForPrompt(refiner.Conditioner, prompt, negative, batch, g.EffectiveOriginalSize, g.Crop, g.EffectiveTargetSize,
            s.AestheticScore, s.NegativeAestheticScore);
}
