using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// DPM-Solver++ (stochastic), k-diffusion's <c>sample_dpmpp_sde</c> (Lu et al. 2022, the SDE form of DPM-Solver++
/// with a single intermediate point): per step, an ancestral first-order step to s = t + r·h in t = −ln σ with noise
/// for (σ_i, σ_s), a model call at σ_s, then the second-order ancestral step to σ_{i+1} with the combination
/// (1 − 1/(2r))·D_i + 1/(2r)·D_s and noise for (σ_i, σ_{i+1}). Two calls and two draws per step; on the last step
/// (σ_{i+1} = 0) one call and an Euler step to 0 (ComfyUI's fork returns D there, equal up to rounding).
/// <para>k-diffusion's default noise is a Brownian tree (the two draws of a step then are correlated increments of
/// one path): pass a <see cref="BrownianTreeNoise"/> for that, any <see cref="INoiseSource"/> otherwise.</para>
/// </summary>
public sealed record DPMPPSDESampler(double Eta = 1.0, double SNoise = 1.0, double R = 0.5) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        AncestralNoise.Validate(Eta, SNoise);
        if (!(R > 0 && R < 1)) throw new ArgumentOutOfRangeException(nameof(R), $"r must be in (0, 1), got {R}");
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            double sigma = sigmas[i], next = sigmas[i + 1];
            var denoised = SamplingMath.Denoise(denoise, x, sigma);
            if (next == 0) return (x + SamplingMath.ToD(x, sigma, denoised) * (float)(next - sigma), denoised);

            double t = SamplingMath.NegLogSigma(sigma), tNext = SamplingMath.NegLogSigma(next);
            double h = tNext - t, s = t + h * R, fac = 1 / (2 * R), sigmaS = (float)Math.Exp(-s);

            var (down1, up1) = SamplingMath.AncestralStep(sigma, sigmaS, Eta);
            var x2 = x * (down1 / sigma) - denoised * SamplingMath.ExpM1(t - SamplingMath.NegLogSigma(down1));
            x2 = x2 + noise.Next(x, sigma, sigmaS) * (SNoise * up1);
            var denoised2 = SamplingMath.Denoise(denoise, x2, sigmaS);

            var (down2, up2) = SamplingMath.AncestralStep(sigma, next, Eta);
            var combined = denoised * (1 - fac) + denoised2 * fac;
            var stepped = x * (down2 / sigma) - combined * SamplingMath.ExpM1(t - SamplingMath.NegLogSigma(down2));
            return (stepped + noise.Next(x, sigma, next) * (SNoise * up2), denoised);
        });
    }
}
