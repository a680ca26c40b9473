using static Pipeline.Diffusion.SamplingMath;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// Ancestral Euler (k-diffusion <c>sample_euler_ancestral</c>, sgm <c>EulerAncestralSampler</c>): an Euler step
/// to σ_down, then fresh noise of std σ_up·s_noise. A draw is taken on every step, also the last one.
/// </summary>
public sealed record EulerAncestralSampler(double Eta = 1.0, double SNoise = 1.0) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) =>
        SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            var sigma = SigmaVector(x, sigmas[i]);
            var nextSigma = SigmaVector(x, sigmas[i + 1]);
            var (down, up) = AncestralStep(sigma, nextSigma, Eta);
            var denoised = denoise(x, sigma);
            var stepped = x + AppendDims(down - sigma, x.dim()) * ToD(x, sigma, denoised);
            return (Ancestral.AddNoise(stepped, nextSigma, up, SNoise, noise), denoised);
        });
}

static class Ancestral
{
    /// <summary>x + noise·s_noise·σ_up where the next σ is positive; the draw is consumed either way (as sgm does).</summary>
    internal static Tensor AddNoise(Tensor x, Tensor nextSigma, Tensor sigmaUp, double sNoise, INoiseSource noise)
    {
        var eps = noise.Next(x);
        return where(AppendDims(nextSigma, x.dim()) > 0.0, x + eps * sNoise * AppendDims(sigmaUp, x.dim()), x);
    }
}
