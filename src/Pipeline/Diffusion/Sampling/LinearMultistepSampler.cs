using static Pipeline.Diffusion.SamplingMath;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// Linear multistep (k-diffusion <c>sample_lms</c>, sgm <c>LinearMultistepSampler</c>): x += Σ_j c_j·d_{i−j}
/// over the last <see cref="Order"/> derivatives, with <see cref="LinearMultistepCoefficients"/>.
/// </summary>
public sealed record LinearMultistepSampler(int Order = 4) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        if (Order < 1 || Order > LinearMultistepCoefficients.MaxOrder)
            throw new ArgumentOutOfRangeException(nameof(Order), $"order must be in [1, {LinearMultistepCoefficients.MaxOrder}], got {Order}");
        var history = new List<Tensor>();
        try
        {
            return SamplerLoop.Run(x, sigmas, options, (i, x) =>
            {
                var sigma = SigmaVector(x, sigmas[i]);
                var denoised = denoise(x, sigma);
                history.Add(SamplerLoop.Keep(ToD(x, sigma, denoised)));
                if (history.Count > Order)
                {
                    history[0].Dispose();
                    history.RemoveAt(0);
                }
                int order = Math.Min(i + 1, Order);
                Tensor? update = null;
                for (int j = 0; j < order; j++)
                {
                    var term = LinearMultistepCoefficients.Coefficient(order, sigmas, i, j) * history[history.Count - 1 - j];
                    update = update is null ? term : update + term;
                }
                return (x + update!, denoised);
            });
        }
        finally { foreach (var d in history) d.Dispose(); }
    }
}
