using static TorchSharp.torch;

namespace Pipeline.Diffusion.Guidance;

/// <summary>
/// No guidance: the conditional branch only (half the UNet work of CFG). <see cref="Scale"/> is the CFG scale a user
/// asked for when it meant "no guidance" (≤ 1, e.g. 0 for SDXL-Turbo), kept for the image's parameters.
/// </summary>
public sealed record IdentityGuider(double Scale = 1.0) : IGuider
{
    public (Tensor X, Tensor Sigma, Conditioning.Conditioning Conditioning) PrepareInputs(
        Tensor x, Tensor sigma, Conditioning.Conditioning cond, Conditioning.Conditioning? uncond) => (x, sigma, cond);

    public Tensor Combine(Tensor denoised, Tensor x, Tensor sigma) => denoised.alias();
}
