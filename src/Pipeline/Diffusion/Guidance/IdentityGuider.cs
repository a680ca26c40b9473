using static TorchSharp.torch;

namespace Pipeline.Diffusion.Guidance;

/// <summary>No guidance: the conditional branch only.</summary>
public sealed record IdentityGuider : IGuider
{
    public (Tensor X, Tensor Sigma, Conditioning.Conditioning Conditioning) PrepareInputs(
        Tensor x, Tensor sigma, Conditioning.Conditioning cond, Conditioning.Conditioning? uncond) => (x, sigma, cond);

    public Tensor Combine(Tensor denoised, Tensor x, Tensor sigma) => denoised.alias();
}
