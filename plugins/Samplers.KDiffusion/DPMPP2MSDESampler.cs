using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>How <see cref="DPMPP2MSDESampler"/> forms its second-order correction (k-diffusion's <c>solver_type</c>).</summary>
public enum DPMPP2MSDESolver { Midpoint, Heun }

/// <summary>
/// DPM-Solver++(2M) SDE, k-diffusion's <c>sample_dpmpp_2m_sde</c> (Lu et al. 2022, multistep second order for the
/// SDE with noise level η): with h = t_{i+1} − t_i in t = −ln σ,
/// x ← (σ_{i+1}/σ_i)·e^(−ηh)·x + (1 − e^(−(1+η)h))·D_i, plus the multistep correction from D_{i−1} (midpoint:
/// ½(1 − e^(−(1+η)h))/r·(D_i − D_{i−1}); Heun: ((1 − e^(−(1+η)h))/(−(1+η)h) + 1)/r·(D_i − D_{i−1}), r = h_{i−1}/h),
/// plus noise of std s_noise·σ_{i+1}·√(1 − e^(−2ηh)) drawn for (σ_i, σ_{i+1}) when η ≠ 0. The last step returns D.
/// <para>k-diffusion's default noise is a Brownian tree: pass a <see cref="BrownianTreeNoise"/> for that.</para>
/// </summary>
public sealed record DPMPP2MSDESampler(double Eta = 1.0, double SNoise = 1.0, DPMPP2MSDESolver Solver = DPMPP2MSDESolver.Midpoint) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        AncestralNoise.Validate(Eta, SNoise);
        if (!Enum.IsDefined(Solver)) throw new ArgumentOutOfRangeException(nameof(Solver), $"solver must be Midpoint or Heun, got {Solver}");
        using var previous = new TensorHistory(1);
        double hLast = double.NaN;
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            double sigma = sigmas[i], next = sigmas[i + 1];
            var denoised = SamplingMath.Denoise(denoise, x, sigma);
            Tensor result = denoised.alias();
            if (next != 0)
            {
                double h = SamplingMath.NegLogSigma(next) - SamplingMath.NegLogSigma(sigma), etaH = Eta * h;
                double phi1 = -SamplingMath.ExpM1(-h - etaH);
                result = x * (next / sigma * Math.Exp(-etaH)) + denoised * phi1;
                if (previous.Count > 0)
                {
                    double r = hLast / h;
                    double coefficient = Solver == DPMPP2MSDESolver.Heun ? (phi1 / (-h - etaH) + 1) / r : 0.5 * phi1 / r;
                    result = result + (denoised - previous[1]) * coefficient;
                }
                if (Eta != 0)
                    result = result + noise.Next(x, sigma, next) * (next * Math.Sqrt(-SamplingMath.ExpM1(-2 * etaH)) * SNoise);
                hLast = h;
            }
            previous.Push(denoised);
            return (result, denoised);
        });
    }
}
