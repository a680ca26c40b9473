using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// Latent Consistency Model sampling (Luo et al. 2023; ComfyUI's <c>sample_lcm</c>): each step jumps to the
/// denoised estimate and, while σ_{i+1} &gt; 0, re-noises it to σ_{i+1} with fresh noise drawn for (σ_i, σ_{i+1})
/// (ε-model noise scaling: x = D + σ_{i+1}·noise). Meant for LCM-distilled models with few steps.
/// </summary>
public sealed record LCMSampler : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) =>
        SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            double sigma = sigmas[i], next = sigmas[i + 1];
            var denoised = SamplingMath.Denoise(denoise, x, sigma);
            return (next > 0 ? noise.Next(x, sigma, next) * next + denoised : denoised.alias(), denoised);
        });
}
