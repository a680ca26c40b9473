using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// DPM-Solver++(2S) ancestral (Lu et al. 2022) as k-diffusion's <c>sample_dpmpp_2s_ancestral</c> (and ComfyUI's
/// fork) do it: a second-order single-step update to σ_down through the midpoint s = t + h/2 in t = −ln σ (an
/// Euler step when σ_down = 0), then noise of std s_noise·σ_up drawn for (σ_i, σ_{i+1}) only while σ_{i+1} &gt; 0.
/// The built-in <c>dpmpp_2s_ancestral</c> (sgm) also draws on the last step, without the interval.
/// </summary>
public sealed record DPMPP2SAncestralKDiffusionSampler(double Eta = 1.0, double SNoise = 1.0) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        StepMath.ValidateNoiseKnobs(Eta, SNoise);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            double sigma = sigmas[i], next = sigmas[i + 1];
            var denoised = StepMath.Denoise(denoise, x, sigma);
            var (down, up) = StepMath.AncestralStep(sigma, next, Eta);
            Tensor stepped;
            if (down == 0) stepped = x + StepMath.Derivative(x, sigma, denoised) * (float)(down - sigma);
            else
            {
                double t = StepMath.NegLogSigma(sigma), tNext = StepMath.NegLogSigma(down);
                double h = tNext - t, s = t + h / 2, sigmaS = (float)Math.Exp(-s);
                var x2 = x * (sigmaS / sigma) - denoised * StepMath.ExpM1(-h / 2);
                var denoised2 = StepMath.Denoise(denoise, x2, sigmaS);
                stepped = x * (down / sigma) - denoised2 * StepMath.ExpM1(-h);
            }
            return (next > 0 ? stepped + noise.Next(x, sigma, next) * (SNoise * up) : stepped, denoised);
        });
    }
}
