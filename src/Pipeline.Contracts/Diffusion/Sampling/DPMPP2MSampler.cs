using static Pipeline.Diffusion.SamplingMath;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// DPM-Solver++(2M) (Lu et al. 2022; k-diffusion <c>sample_dpmpp_2m</c>, sgm <c>DPMPP2MSampler</c>): a deterministic
/// multistep method in t = −ln σ that extrapolates the denoised estimate from the previous one,
/// D' = (1 + 1/(2r))·D_i − 1/(2r)·D_{i−1} with r = h_{i−1}/h_i. The first-order update is used on the first step and
/// when σ_{i+1} = 0 (the last step then returns the denoised estimate).
/// </summary>
public sealed record DPMPP2MSampler : ISampler
{
    /// <inheritdoc/>
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        using var previous = new TensorHistory(1);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            double sigma = sigmas[i], next = sigmas[i + 1];
            var denoised = Denoise(denoise, x, sigma);
            double t = NegLogSigma(sigma), h = NegLogSigma(next) - t;
            var target = denoised;
            if (previous.Count > 0 && next > 0)
            {
                double r = (t - NegLogSigma(sigmas[i - 1])) / h;
                target = denoised * (1 + 1 / (2 * r)) - previous[1] * (1 / (2 * r));
            }
            previous.Push(denoised);
            return (x * (next / sigma) - target * ExpM1(-h), denoised);
        });
    }
}
