using Pipeline.Diffusion;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Models.Bundles;
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

/// <summary>Refine: the refiner model turns a latent into a latent, in either mode. Both are Noise/Denoise with the refiner.</summary>
public static class RefineStage
{
    /// <summary>
    /// Handoff: <paramref name="atBoundary"/> is the base's latent at σ = <paramref name="remaining"/>[0] (x₀ + σ·n scale, as the
    /// base's Denoise returned it); the refiner continues over <paramref name="remaining"/>.
    /// </summary>
    public static Tensor Handoff(SdxlModel refiner, Tensor atBoundary, Sigmas remaining, ConditioningPair conditioning, ISampler sampler,
        IGuider guider, INoiseSource noise, SamplingOptions? options = null) =>
        DenoiseStage.Run(refiner, atBoundary, remaining, conditioning, sampler, guider, noise, options);

    /// <summary>SDEdit: finished latents are noised to <paramref name="sigmas"/>[0] (see <see cref="ScheduleSplit.SdEdit"/>) and denoised.</summary>
    public static Tensor SdEdit(SdxlModel refiner, Tensor latents, Sigmas sigmas, ConditioningPair conditioning, ISampler sampler,
        IGuider guider, INoiseSource noise, SamplingOptions? options = null)
    {
        using var noisy = NoiseStage.Renoise(noise, latents, sigmas[0]);
        return DenoiseStage.Run(refiner, noisy, sigmas, conditioning, sampler, guider, noise, options);
    }
}
