using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// DPM-Solver++(3M) SDE, k-diffusion's <c>sample_dpmpp_3m_sde</c>: with h = t_{i+1} − t_i in t = −ln σ and
/// h_η = (1 + η)h, x ← e^(−h_η)·x + (1 − e^(−h_η))·D_i, then the exponential-integrator corrections
/// φ₂ = (e^(−h_η) − 1)/h_η + 1 and φ₃ = φ₂/h_η − ½ applied to divided differences of the last three denoised
/// estimates (first order on the first step, second order on the second), plus noise of std
/// s_noise·σ_{i+1}·√(1 − e^(−2ηh)) drawn for (σ_i, σ_{i+1}) when η ≠ 0. The last step returns D.
/// <para>k-diffusion's default noise is a Brownian tree: pass a <see cref="BrownianTreeNoise"/> for that.</para>
/// </summary>
public sealed record DPMPP3MSDESampler(double Eta = 1.0, double SNoise = 1.0) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        AncestralNoise.Validate(Eta, SNoise);
        using var history = new TensorHistory(2);
        double h1 = double.NaN, h2 = double.NaN;
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            double sigma = sigmas[i], next = sigmas[i + 1];
            var denoised = SamplingMath.Denoise(denoise, x, sigma);
            Tensor result = denoised.alias();
            if (next != 0)
            {
                double h = SamplingMath.NegLogSigma(next) - SamplingMath.NegLogSigma(sigma), hEta = h * (Eta + 1);
                result = x * Math.Exp(-hEta) + denoised * -SamplingMath.ExpM1(-hEta);
                double phi2 = SamplingMath.ExpM1(-hEta) / hEta + 1;
                if (history.Count == 2)
                {
                    double r0 = h1 / h, r1 = h2 / h;
                    var d10 = (denoised - history[1]) / r0;
                    var d11 = (history[1] - history[2]) / r1;
                    var d1 = d10 + (d10 - d11) * (r0 / (r0 + r1));
                    var d2 = (d10 - d11) / (r0 + r1);
                    double phi3 = phi2 / hEta - 0.5;
                    result = result + d1 * phi2 - d2 * phi3;
                }
                else if (history.Count == 1)
                    result = result + (denoised - history[1]) / (h1 / h) * phi2;
                if (Eta != 0)
                    result = result + noise.Next(x, sigma, next) * (next * Math.Sqrt(-SamplingMath.ExpM1(-2 * h * Eta)) * SNoise);
                (h1, h2) = (h, h1);
            }
            history.Push(denoised);
            return (result, denoised);
        });
    }
}
