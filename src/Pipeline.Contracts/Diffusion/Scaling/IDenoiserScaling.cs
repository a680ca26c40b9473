using static TorchSharp.torch;

namespace Pipeline.Diffusion.Scaling;

/// <summary>Preconditioning coefficients for D(x; σ) = c_skip·x + c_out·F(c_in·x; c_noise).</summary>
public readonly record struct DenoiserScalings(Tensor CSkip, Tensor COut, Tensor CIn, Tensor CNoise);

/// <summary>σ → (c_skip, c_out, c_in, c_noise) (sgm <c>denoiser_scaling</c>). New tensors, shaped like σ.</summary>
public interface IDenoiserScaling
{
    /// <summary>The four coefficients for <paramref name="sigma"/> [B].</summary>
    DenoiserScalings Get(Tensor sigma);
}
