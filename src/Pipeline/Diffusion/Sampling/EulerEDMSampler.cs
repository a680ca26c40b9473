using static Pipeline.Diffusion.SamplingMath;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// Euler with optional churn (Karras et al. 2022, Algorithm 2 without the second-order correction; sgm
/// <c>EulerEDMSampler</c>). Where s_tmin ≤ σ_i ≤ s_tmax, γ = min(s_churn/N, √2−1) raises σ to σ̂ = σ(1+γ) with
/// fresh noise of std √(σ̂²−σ²)·s_noise before the model call.
/// </summary>
public sealed record EulerEDMSampler(double SChurn = 0, double STmin = 0, double STmax = double.PositiveInfinity, double SNoise = 1)
    : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) =>
        EDMChurn.Run(this, x, sigmas, noise, options, denoise, heun: false);
}

/// <summary>
/// Heun's second-order method with optional churn (Karras et al. 2022, Algorithm 2; sgm <c>HeunEDMSampler</c>).
/// The correction is skipped when the next σ is 0.
/// </summary>
public sealed record HeunEDMSampler(double SChurn = 0, double STmin = 0, double STmax = double.PositiveInfinity, double SNoise = 1)
    : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) =>
        EDMChurn.Run(new EulerEDMSampler(SChurn, STmin, STmax, SNoise), x, sigmas, noise, options, denoise, heun: true);
}

static class EDMChurn
{
    /// <summary>γ_i of sgm's EDM samplers (N = number of sigmas − 1).</summary>
    internal static double Gamma(EulerEDMSampler k, Sigmas sigmas, int i) =>
        k.STmin <= sigmas[i] && sigmas[i] <= k.STmax ? Math.Min(k.SChurn / sigmas.Steps, Math.Sqrt(2) - 1) : 0.0;

    internal static Tensor Run(EulerEDMSampler k, Tensor input, Sigmas sigmas, INoiseSource noise, SamplingOptions? options,
        DenoiseFunction denoise, bool heun)
    {
        if (k.SChurn < 0 || k.SNoise < 0) throw new ArgumentException($"s_churn and s_noise must be >= 0, got {k.SChurn}, {k.SNoise}");
        return SamplerLoop.Run(input, sigmas, options, (i, x) =>
        {
            var sigma = SigmaVector(x, sigmas[i]);
            var nextSigma = SigmaVector(x, sigmas[i + 1]);
            double gamma = Gamma(k, sigmas, i);
            var sigmaHat = sigma * (gamma + 1.0);
            if (gamma > 0)
            {
                var eps = noise.Next(x) * k.SNoise;
                x = x + eps * AppendDims(sigmaHat.pow(2) - sigma.pow(2), x.dim()).pow(0.5);
            }
            var denoised = denoise(x, sigmaHat);
            var d = ToD(x, sigmaHat, denoised);
            var dt = AppendDims(nextSigma - sigmaHat, x.dim());
            var eulerStep = x + dt * d;
            if (!heun || AllZero(nextSigma)) return (eulerStep, denoised);

            var denoised2 = denoise(eulerStep, nextSigma);
            var dNew = ToD(eulerStep, nextSigma, denoised2);
            var dPrime = (d + dNew) / 2.0;
            var corrected = where(AppendDims(nextSigma, x.dim()) > 0.0, x + dPrime * dt, eulerStep);
            return (corrected, denoised2);
        });
    }
}
