using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// Ancestral DDPM sampling (Ho et al. 2020, Algorithm 2) on the σ schedule, as ComfyUI's <c>sample_ddpm</c> writes
/// it: with ᾱ = 1/(1 + σ_i²), ᾱ' = 1/(1 + σ_{i+1}²), α = ᾱ/ᾱ' and ε = (x − D)/σ_i, the variance-preserving state
/// z = x/√(1 + σ_i²) steps to μ = (z − (1 − α)·ε/√(1 − ᾱ))/√α, plus noise of std √((1 − α)(1 − ᾱ')/(1 − ᾱ)) drawn
/// for (σ_i, σ_{i+1}) while σ_{i+1} &gt; 0, and is scaled back by √(1 + σ_{i+1}²) unless σ_{i+1} = 0.
/// </summary>
public sealed record DDPMSampler : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) =>
        SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            double sigma = sigmas[i], next = sigmas[i + 1];
            var denoised = SamplingMath.Denoise(denoise, x, sigma);
            var eps = SamplingMath.ToD(x, sigma, denoised);
            double alphaCumprod = 1 / (sigma * sigma + 1), alphaCumprodPrev = 1 / (next * next + 1);
            double alpha = alphaCumprod / alphaCumprodPrev;
            var z = x / Math.Sqrt(1 + sigma * sigma);
            var mu = (z - eps * ((1 - alpha) / Math.Sqrt(1 - alphaCumprod))) * Math.Sqrt(1 / alpha);
            if (next > 0)
                mu = mu + noise.Next(x, sigma, next) * Math.Sqrt((1 - alpha) * (1 - alphaCumprodPrev) / (1 - alphaCumprod));
            return (next != 0 ? mu * Math.Sqrt(1 + next * next) : mu, denoised);
        });
}
