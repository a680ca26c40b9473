using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// Improved pseudo numerical methods (iPNDM; Zhang &amp; Chen 2022, DEIS paper, as ComfyUI's <c>sample_ipndm</c>):
/// Adams–Bashforth steps on d = (x − D)/σ of order min(MaxOrder, i + 1) with the fixed coefficients
/// 1; (3, −1)/2; (23, −16, 5)/12; (55, −59, 37, −9)/24. The last step returns D. Deterministic.
/// </summary>
public sealed record IPNDMSampler(int MaxOrder = 4) : ISampler
{
    static readonly double[][] Coefficients =
    {
        new[] { 1.0 },
        new[] { 3 / 2.0, -1 / 2.0 },
        new[] { 23 / 12.0, -16 / 12.0, 5 / 12.0 },
        new[] { 55 / 24.0, -59 / 24.0, 37 / 24.0, -9 / 24.0 },
    };

    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        if (MaxOrder < 1 || MaxOrder > 4) throw new ArgumentOutOfRangeException(nameof(MaxOrder), $"max_order must be in [1, 4], got {MaxOrder}");
        using var previous = new TensorHistory(MaxOrder - 1);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            double sigma = sigmas[i], next = sigmas[i + 1];
            var denoised = SamplingMath.Denoise(denoise, x, sigma);
            var d = SamplingMath.ToD(x, sigma, denoised);
            int order = Math.Min(MaxOrder, i + 1);
            Tensor result;
            if (next == 0) result = denoised.alias();
            else
            {
                var c = Coefficients[order - 1];
                var slope = d * c[0];
                for (int k = 1; k < order; k++) slope = slope + previous[k] * c[k];
                result = x + slope * (float)(next - sigma);
            }
            previous.Push(d);
            return (result, denoised);
        });
    }
}
