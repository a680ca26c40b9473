using static Pipeline.Diffusion.SamplingMath;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// DPM-Solver++(2S) ancestral (Lu et al. 2022; k-diffusion <c>sample_dpmpp_2s_ancestral</c>, sgm
/// <c>DPMPP2SAncestralSampler</c>): a second-order single-step update to σ_down through the midpoint s = t + h/2 in
/// t = −ln σ (an Euler step, one model call, when σ_down = 0), then ancestral noise (<see cref="AncestralNoise"/>).
/// <see cref="NoiseOnLastStep"/> as in <see cref="EulerAncestralSampler"/> (<c>dpmpp_2s_ancestral</c>: true,
/// <c>dpmpp_2s_ancestral_kdiffusion</c>: false).
/// </summary>
/// <param name="Eta">η: the share of the step taken as fresh noise (0: deterministic).</param>
/// <param name="SNoise">Scale s_noise of the added noise.</param>
/// <param name="NoiseOnLastStep">Draw (and discard) noise on the last step too, as sgm does.</param>
public sealed record DPMPP2SAncestralSampler(double Eta = 1.0, double SNoise = 1.0, bool NoiseOnLastStep = true) : ISampler
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
            Tensor stepped;
            if (down == 0) stepped = x + ToD(x, sigma, denoised) * (float)(down - sigma);
            else
            {
                double t = NegLogSigma(sigma), tNext = NegLogSigma(down);
                double h = tNext - t, s = t + h / 2, sigmaS = (float)Math.Exp(-s);
                var x2 = x * (sigmaS / sigma) - denoised * ExpM1(-h / 2);
                var denoised2 = Denoise(denoise, x2, sigmaS);
                stepped = x * (down / sigma) - denoised2 * ExpM1(-h);
            }
            return (AncestralNoise.Add(stepped, noise, sigma, next, up, SNoise, NoiseOnLastStep), denoised);
        });
    }
}
