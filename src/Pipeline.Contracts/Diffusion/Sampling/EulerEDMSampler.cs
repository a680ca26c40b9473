using static Pipeline.Diffusion.SamplingMath;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// Euler steps of Karras et al. (2022), Algorithm 2 without the second-order correction (sgm <c>EulerEDMSampler</c>,
/// k-diffusion <c>sample_euler</c>): the churn (<see cref="KarrasChurn"/>), then x̂ + (σ_{i+1} − σ̂)·(x̂ − D(x̂; σ̂))/σ̂.
/// <para><see cref="DrawNoiseEveryStep"/>: false draws churn noise only when it is used (sgm, ComfyUI: <c>euler</c>);
/// true on every step (k-diffusion: <c>euler_kdiffusion</c>). Without churn the results are the same.</para>
/// </summary>
/// <param name="SChurn">Karras churn s_churn (0: none).</param>
/// <param name="STmin">Lowest σ that gets churn.</param>
/// <param name="STmax">Highest σ that gets churn.</param>
/// <param name="SNoise">Scale s_noise of the churn noise.</param>
/// <param name="DrawNoiseEveryStep">Draw churn noise on every step (k-diffusion) instead of only when it is used (sgm).</param>
public sealed record EulerEDMSampler(double SChurn = 0, double STmin = 0, double STmax = double.PositiveInfinity, double SNoise = 1,
    bool DrawNoiseEveryStep = false) : ISampler
{
    /// <inheritdoc/>
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        KarrasChurn.Validate(SChurn, STmin, STmax, SNoise);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            var (xHat, sigmaHat) = KarrasChurn.Apply(x, sigmas, i, SChurn, STmin, STmax, SNoise, DrawNoiseEveryStep, noise);
            var denoised = Denoise(denoise, xHat, sigmaHat);
            return (xHat + ToD(xHat, sigmaHat, denoised) * (sigmas[i + 1] - (float)sigmaHat), denoised);
        });
    }
}
