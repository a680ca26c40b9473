using static TorchSharp.torch;

namespace Pipeline.Diffusion.Denoising;

/// <summary>
/// sgm's denoiser: (network, x, σ, conditioning) → x̂₀ = c_skip·x + c_out·network(c_in·x, c_noise, cond).
/// It takes the network as an argument, so one denoiser serves training and sampling.
/// </summary>
public interface IDenoiser
{
    /// <summary>x [B, …], σ [B]; returns the denoised estimate (a new tensor).</summary>
    Tensor Denoise(IDiffusionNetwork network, Tensor x, Tensor sigma, Conditioning.Conditioning conditioning);

    /// <summary>The σ the network actually sees (identity unless the denoiser quantizes).</summary>
    Tensor QuantizeSigma(Tensor sigma);
}
