using static Pipeline.Diffusion.SamplingMath;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// DPM-Solver++(2M) (Lu et al. 2022; k-diffusion <c>sample_dpmpp_2m</c>, sgm <c>DPMPP2MSampler</c>): a
/// deterministic multistep method that reuses the previous denoised estimate. The plain first-order update is
/// used on the first step and whenever the next σ is 0 (the last step then returns the denoised estimate).
/// </summary>
public sealed record DPMPP2MSampler : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        Tensor? oldDenoised = null;
        try
        {
            return SamplerLoop.Run(x, sigmas, options, (i, x) =>
            {
                var sigma = SigmaVector(x, sigmas[i]);
                var nextSigma = SigmaVector(x, sigmas[i + 1]);
                var denoised = denoise(x, sigma);
                Tensor t = ToNegLogSigma(sigma), tNext = ToNegLogSigma(nextSigma);
                var h = tNext - t;
                var mult1 = AppendDims(ToSigma(tNext) / ToSigma(t), x.dim());
                var mult2 = AppendDims((-h).expm1(), x.dim());
                var xStandard = mult1 * x - mult2 * denoised;
                var result = xStandard;
                if (oldDenoised is not null && !AllZero(nextSigma))
                {
                    var previous = SigmaVector(x, sigmas[i - 1]);
                    var r = (t - ToNegLogSigma(previous)) / h;
                    var mult3 = AppendDims(1 + 1 / (2 * r), x.dim());
                    var mult4 = AppendDims(1 / (2 * r), x.dim());
                    var denoisedD = mult3 * denoised - mult4 * oldDenoised;
                    var xAdvanced = mult1 * x - mult2 * denoisedD;
                    result = where(AppendDims(nextSigma, x.dim()) > 0.0, xAdvanced, xStandard);
                }
                oldDenoised?.Dispose();
                oldDenoised = SamplerLoop.Keep(denoised.alias());
                return (result, denoised);
            });
        }
        finally { oldDenoised?.Dispose(); }
    }
}
