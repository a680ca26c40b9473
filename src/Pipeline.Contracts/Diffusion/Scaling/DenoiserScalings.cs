using static TorchSharp.torch;

namespace Pipeline.Diffusion.Scaling;

/// <summary>Preconditioning coefficients for D(x; σ) = c_skip·x + c_out·F(c_in·x; c_noise).</summary>
/// <param name="CSkip">c_skip, the weight of the skip connection.</param>
/// <param name="COut">c_out, the weight of the network output.</param>
/// <param name="CIn">c_in, the scale of the network input.</param>
/// <param name="CNoise">c_noise, the noise-level input of the network.</param>
public readonly record struct DenoiserScalings(Tensor CSkip, Tensor COut, Tensor CIn, Tensor CNoise);
