using static Pipeline.Diffusion.SamplingMath;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// DPM-Solver++(2S) ancestral (Lu et al. 2022; k-diffusion <c>sample_dpmpp_2s_ancestral</c>, sgm
/// <c>DPMPP2SAncestralSampler</c>): a second-order single-step update to σ_down through the midpoint
/// s = t + h/2 in t = −ln σ, then ancestral noise. The second model call is skipped when σ_down is 0.
/// </summary>
public sealed record DPMPP2SAncestralSampler(double Eta = 1.0, double SNoise = 1.0) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) =>
        SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            var sigma = SigmaVector(x, sigmas[i]);
            var nextSigma = SigmaVector(x, sigmas[i + 1]);
            var (down, up) = AncestralStep(sigma, nextSigma, Eta);
            var denoised = denoise(x, sigma);
            var xEuler = x + AppendDims(down - sigma, x.dim()) * ToD(x, sigma, denoised);
            Tensor next;
            if (AllZero(down)) next = xEuler;
            else
            {
                Tensor t = ToNegLogSigma(sigma), tNext = ToNegLogSigma(down);
                var h = tNext - t;
                var s = t + 0.5 * h;
                var mult1 = AppendDims(ToSigma(s) / ToSigma(t), x.dim());
                var mult2 = AppendDims((-0.5 * h).expm1(), x.dim());
                var mult3 = AppendDims(ToSigma(tNext) / ToSigma(t), x.dim());
                var mult4 = AppendDims((-h).expm1(), x.dim());
                var x2 = mult1 * x - mult2 * denoised;
                var denoised2 = denoise(x2, ToSigma(s));
                var xDpm = mult3 * x - mult4 * denoised2;
                next = where(AppendDims(down, x.dim()) > 0.0, xDpm, xEuler);
            }
            return (Ancestral.AddNoise(next, nextSigma, up, SNoise, noise), denoised);
        });
}
