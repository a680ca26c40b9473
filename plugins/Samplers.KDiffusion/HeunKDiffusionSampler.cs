using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// Heun steps of Karras et al. (2022), Algorithm 2, exactly as k-diffusion's <c>sample_heun</c>: churn with a draw
/// on every step (<see cref="KarrasChurn"/>), an Euler predictor to σ_{i+1} and the trapezoidal corrector; a plain
/// Euler step when σ_{i+1} = 0 (2N − 1 model calls). Equals the built-in <c>heun</c> except for the draws.
/// </summary>
public sealed record HeunKDiffusionSampler(
    double SChurn = 0, double STmin = 0, double STmax = double.PositiveInfinity, double SNoise = 1, bool DrawEveryStep = true) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        KarrasChurn.Validate(SChurn, STmin, STmax, SNoise);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            var (xHat, sigmaHat) = KarrasChurn.Apply(x, sigmas, i, SChurn, STmin, STmax, SNoise, DrawEveryStep, noise);
            double next = sigmas[i + 1];
            var denoised = StepMath.Denoise(denoise, xHat, sigmaHat);
            var d = StepMath.Derivative(xHat, sigmaHat, denoised);
            double dt = (float)(next - sigmaHat);
            if (next == 0) return (xHat + d * dt, denoised);
            var x2 = xHat + d * dt;
            var d2 = StepMath.Derivative(x2, next, StepMath.Denoise(denoise, x2, next));
            return (xHat + (d + d2) / 2 * dt, denoised);
        });
    }
}
