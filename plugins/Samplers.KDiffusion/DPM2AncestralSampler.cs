using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// k-diffusion's <c>sample_dpm_2_ancestral</c>: the DPM-2 midpoint step (see <see cref="DPM2Sampler"/>) from σ_i to
/// σ_down, then ancestral noise of std s_noise·σ_up drawn for the interval (σ_i, σ_{i+1}). When σ_down = 0 (the
/// last step, or earlier for η &gt; 1) it takes a plain Euler step and adds no noise.
/// </summary>
public sealed record DPM2AncestralSampler(double Eta = 1.0, double SNoise = 1.0) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        AncestralNoise.Validate(Eta, SNoise);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            double sigma = sigmas[i], next = sigmas[i + 1];
            var denoised = SamplingMath.Denoise(denoise, x, sigma);
            var (down, up) = SamplingMath.AncestralStep(sigma, next, Eta);
            var d = SamplingMath.ToD(x, sigma, denoised);
            if (down == 0) return (x + d * (float)(down - sigma), denoised);
            double mid = (float)Math.Exp((Math.Log(sigma) + Math.Log(down)) / 2);
            var x2 = x + d * (float)(mid - sigma);
            var d2 = SamplingMath.ToD(x2, mid, SamplingMath.Denoise(denoise, x2, mid));
            var stepped = x + d2 * (float)(down - sigma);
            return (stepped + noise.Next(x, sigma, next) * (SNoise * up), denoised);
        });
    }
}
