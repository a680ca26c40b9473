using Pipeline.Diffusion.Denoising;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Guidance;

/// <summary>Composes guider + denoiser + network + conditioning into the function a sampler drives.</summary>
public static class Guided
{
    /// <summary>A raw denoiser (x, σ, conditioning) → x̂₀, e.g. <see cref="IDenoiser.Denoise"/> bound to a network.</summary>
    public delegate Tensor ConditionedDenoiser(Tensor x, Tensor sigma, Conditioning.Conditioning conditioning);

    public static DenoiseFunction Compose(IGuider guider, ConditionedDenoiser denoiser,
        Conditioning.Conditioning cond, Conditioning.Conditioning? uncond = null) =>
        (x, sigma) =>
        {
            using var scope = NewDisposeScope();
            var (bx, bs, bc) = guider.PrepareInputs(x, sigma, cond, uncond);
            var denoised = denoiser(bx, bs, bc);
            return guider.Combine(denoised, x, sigma).MoveToOuterDisposeScope();
        };

    /// <summary>The same with an <see cref="IDenoiser"/> and network; runs under no-grad.</summary>
    public static DenoiseFunction Compose(IGuider guider, IDenoiser denoiser, IDiffusionNetwork network,
        Conditioning.Conditioning cond, Conditioning.Conditioning? uncond = null)
    {
        var inner = Compose(guider, (x, s, c) => denoiser.Denoise(network, x, s, c), cond, uncond);
        return (x, sigma) =>
        {
            using var noGrad = no_grad();
            return inner(x, sigma);
        };
    }
}
