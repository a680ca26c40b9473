using static Pipeline.Diffusion.SamplingMath;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// Ancestral Euler (k-diffusion <c>sample_euler_ancestral</c>, sgm <c>EulerAncestralSampler</c>): an Euler step to
/// σ_down, then noise of std s_noise·σ_up (<see cref="AncestralNoise"/>).
/// <para><see cref="NoiseOnLastStep"/>: true also draws (and discards) noise on the last step, as sgm does
/// (<c>euler_ancestral</c>); false does not, as k-diffusion and ComfyUI (<c>euler_ancestral_kdiffusion</c>).</para>
/// </summary>
/// <param name="Eta">η: the share of the step taken as fresh noise (0: deterministic).</param>
/// <param name="SNoise">Scale s_noise of the added noise.</param>
/// <param name="NoiseOnLastStep">Draw (and discard) noise on the last step too, as sgm does.</param>
public sealed record EulerAncestralSampler(double Eta = 1.0, double SNoise = 1.0, bool NoiseOnLastStep = true) : ISampler
{
    /// <inheritdoc/>
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        AncestralNoise.Validate(Eta, SNoise);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            double sigma = sigmas[i], next = sigmas[i + 1];
            var denoised = Denoise(denoise, x, sigma);
            var (down, up) = AncestralStep(sigma, next, Eta);
            var stepped = x + ToD(x, sigma, denoised) * (float)(down - sigma);
            return (AncestralNoise.Add(stepped, noise, sigma, next, up, SNoise, NoiseOnLastStep), denoised);
        });
    }
}
