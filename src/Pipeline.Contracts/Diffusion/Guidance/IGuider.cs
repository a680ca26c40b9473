using static TorchSharp.torch;

namespace Pipeline.Diffusion.Guidance;

/// <summary>
/// Guidance (sgm <c>guiders</c>): batches the denoiser inputs for the conditional/unconditional branches and
/// combines the outputs. Guiders are immutable records; their knobs (scale, …) are record properties.
/// </summary>
public interface IGuider
{
    /// <summary>The batch the denoiser runs on, built from the sampler's x [B, …] and σ [B]; new tensors or aliases.</summary>
    (Tensor X, Tensor Sigma, Conditioning.Conditioning Conditioning) PrepareInputs(
        Tensor x, Tensor sigma, Conditioning.Conditioning cond, Conditioning.Conditioning? uncond);

    /// <summary>
    /// The guided x̂₀ [B, …] from the denoiser's output on the prepared batch; <paramref name="x"/> and
    /// <paramref name="sigma"/> are the sampler's inputs (what <see cref="PrepareInputs"/> received), for guiders that
    /// work in another parameterisation than x̂₀ (ε or v). A new tensor; the inputs are not modified.
    /// </summary>
    Tensor Combine(Tensor denoised, Tensor x, Tensor sigma);
}
