using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// Euler steps of Karras et al. (2022), Algorithm 2, exactly as k-diffusion's <c>sample_euler</c>: a noise draw on
/// every step (used only where churn applies, see <see cref="KarrasChurn"/>), then x += (σ_{i+1} − σ̂)·(x − D)/σ̂.
/// Equals the built-in <c>euler</c> except for the draws, so a seeded stream gives k-diffusion's results with churn.
/// </summary>
public sealed record EulerKDiffusionSampler(
    double SChurn = 0, double STmin = 0, double STmax = double.PositiveInfinity, double SNoise = 1, bool DrawEveryStep = true) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        KarrasChurn.Validate(SChurn, STmin, STmax, SNoise);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            var (xHat, sigmaHat) = KarrasChurn.Apply(x, sigmas, i, SChurn, STmin, STmax, SNoise, DrawEveryStep, noise);
            var denoised = StepMath.Denoise(denoise, xHat, sigmaHat);
            var d = StepMath.Derivative(xHat, sigmaHat, denoised);
            return (xHat + d * (sigmas[i + 1] - (float)sigmaHat), denoised);
        });
    }
}
