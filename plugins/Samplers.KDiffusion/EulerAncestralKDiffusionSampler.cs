using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// Ancestral Euler as k-diffusion's <c>sample_euler_ancestral</c> (and ComfyUI's fork) do it: an Euler step to
/// σ_down, then noise of std s_noise·σ_up drawn for (σ_i, σ_{i+1}) only while σ_{i+1} &gt; 0. The built-in
/// <c>euler_ancestral</c> (sgm) also draws on the last step and asks for noise without the interval, so it
/// consumes one draw more per run and cannot use an interval-aware source such as <see cref="BrownianTreeNoise"/>.
/// </summary>
public sealed record EulerAncestralKDiffusionSampler(double Eta = 1.0, double SNoise = 1.0) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        StepMath.ValidateNoiseKnobs(Eta, SNoise);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            double sigma = sigmas[i], next = sigmas[i + 1];
            var denoised = StepMath.Denoise(denoise, x, sigma);
            var (down, up) = StepMath.AncestralStep(sigma, next, Eta);
            var stepped = x + StepMath.Derivative(x, sigma, denoised) * (float)(down - sigma);
            return (next > 0 ? stepped + noise.Next(x, sigma, next) * (SNoise * up) : stepped, denoised);
        });
    }
}
