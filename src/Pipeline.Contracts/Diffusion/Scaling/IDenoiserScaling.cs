using static TorchSharp.torch;

namespace Pipeline.Diffusion.Scaling;

/// <summary>σ → (c_skip, c_out, c_in, c_noise) (sgm <c>denoiser_scaling</c>). New tensors, shaped like σ.</summary>
public interface IDenoiserScaling
{
    /// <summary>The four coefficients for <paramref name="sigma"/> [B].</summary>
    DenoiserScalings Get(Tensor sigma);
}
