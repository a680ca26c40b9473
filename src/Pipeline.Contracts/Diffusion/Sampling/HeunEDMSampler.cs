using static Pipeline.Diffusion.SamplingMath;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// Heun's second-order method with churn (Karras et al. 2022, Algorithm 2; sgm <c>HeunEDMSampler</c>, k-diffusion
/// <c>sample_heun</c>): an Euler predictor to σ_{i+1} and the trapezoidal corrector; a plain Euler step when
/// σ_{i+1} = 0 (2N − 1 model calls). <see cref="DrawNoiseEveryStep"/> as in <see cref="EulerEDMSampler"/>
/// (<c>heun</c>: false, <c>heun_kdiffusion</c>: true).
/// </summary>
/// <param name="SChurn">Karras churn s_churn (0: none).</param>
/// <param name="STmin">Lowest σ that gets churn.</param>
/// <param name="STmax">Highest σ that gets churn.</param>
/// <param name="SNoise">Scale s_noise of the churn noise.</param>
/// <param name="DrawNoiseEveryStep">Draw churn noise on every step (k-diffusion) instead of only when it is used (sgm).</param>
public sealed record HeunEDMSampler(double SChurn = 0, double STmin = 0, double STmax = double.PositiveInfinity, double SNoise = 1,
    bool DrawNoiseEveryStep = false) : ISampler
{
    /// <inheritdoc/>
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        KarrasChurn.Validate(SChurn, STmin, STmax, SNoise);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            var (xHat, sigmaHat) = KarrasChurn.Apply(x, sigmas, i, SChurn, STmin, STmax, SNoise, DrawNoiseEveryStep, noise);
            double next = sigmas[i + 1];
            var denoised = Denoise(denoise, xHat, sigmaHat);
            var d = ToD(xHat, sigmaHat, denoised);
            double dt = (float)(next - sigmaHat);
            var euler = xHat + d * dt;
            if (next == 0) return (euler, denoised);
            var d2 = ToD(euler, next, Denoise(denoise, euler, next));
            return (xHat + (d + d2) / 2 * dt, denoised);
        });
    }
}
