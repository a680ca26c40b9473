using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>
/// Noise: the latent a sampler starts from, already at σ₀ (k-diffusion's convention: samplers take x at the first σ of
/// their schedule and never rescale it). Draws come from the noise source: for <see cref="SeededNoise"/> a seeded CPU
/// generator whose draws are moved to the device afterwards, so a seed gives the same image on any device.
/// </summary>
public static class NoiseStage
{
    /// <summary>
    /// Pure noise for text-to-image: standard-normal draws of <paramref name="latentShape"/> times √(1 + σ₀²) (sgm's start,
    /// the standard deviation of x₀ + σ₀·n for unit-variance latents).
    /// </summary>
    public static Tensor Initial(INoiseSource source, long[] latentShape, Sigmas sigmas, Device device)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(sigmas);
        using var scope = NewDisposeScope();
        using var like = empty(latentShape, ScalarType.Float32, CPU);
        var draw = source.Next(like).to(ScalarType.Float32, device);
        return SamplingMath.ScaleInitialNoise(draw, sigmas).MoveToOuterDisposeScope();
    }

    /// <summary>A clean latent noised to σ (img2img, the refiner's SDEdit): x₀ + σ·n, a new tensor.</summary>
    public static Tensor Renoise(INoiseSource source, Tensor latent, double sigma)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(latent);
        using var scope = NewDisposeScope();
        return (latent + source.Next(latent) * sigma).MoveToOuterDisposeScope();
    }
}
