using static TorchSharp.torch;

namespace Pipeline.Diffusion.Guidance;

/// <summary>
/// Guidance (sgm <c>guiders</c>): batches the denoiser inputs for the conditional/unconditional branches and
/// combines the outputs.
/// </summary>
public interface IGuider
{
    (Tensor X, Tensor Sigma, Conditioning.Conditioning Conditioning) PrepareInputs(
        Tensor x, Tensor sigma, Conditioning.Conditioning cond, Conditioning.Conditioning? uncond);

    Tensor Combine(Tensor denoised, Tensor sigma);
}
