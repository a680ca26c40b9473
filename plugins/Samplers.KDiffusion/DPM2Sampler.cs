using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// k-diffusion's <c>sample_dpm_2</c>: "a sampler inspired by DPM-Solver-2 and Algorithm 2 from Karras et al.
/// (2022)". After the churn (<see cref="KarrasChurn"/>), a midpoint step: Euler to σ_mid = √(σ̂·σ_{i+1}) (the
/// log-space midpoint), a second model call there, and the full step with that slope; a plain Euler step when
/// σ_{i+1} = 0 (2N − 1 model calls).
/// <para><see cref="DrawNoiseEveryStep"/>: k-diffusion draws churn noise on every step (true); ComfyUI's fork only when
/// the churn uses it (false). Without churn the results are the same.</para>
/// <para>ComfyUI's KSampler runs dpm_2 on the schedule for N + 1 steps without its second-to-last σ
/// (Schedules.ComfyUI's <c>DiscardPenultimate</c>); this sampler takes whatever schedule it is given.</para>
/// </summary>
public sealed record DPM2Sampler(
    double SChurn = 0, double STmin = 0, double STmax = double.PositiveInfinity, double SNoise = 1, bool DrawNoiseEveryStep = true) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        KarrasChurn.Validate(SChurn, STmin, STmax, SNoise);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            var (xHat, sigmaHat) = KarrasChurn.Apply(x, sigmas, i, SChurn, STmin, STmax, SNoise, DrawNoiseEveryStep, noise);
            double next = sigmas[i + 1];
            var denoised = SamplingMath.Denoise(denoise, xHat, sigmaHat);
            var d = SamplingMath.ToD(xHat, sigmaHat, denoised);
            if (next == 0) return (xHat + d * (float)(next - sigmaHat), denoised);
            double mid = (float)Math.Exp((Math.Log(sigmaHat) + Math.Log(next)) / 2);
            var x2 = xHat + d * (float)(mid - sigmaHat);
            var d2 = SamplingMath.ToD(x2, mid, SamplingMath.Denoise(denoise, x2, mid));
            return (xHat + d2 * (float)(next - sigmaHat), denoised);
        });
    }
}
