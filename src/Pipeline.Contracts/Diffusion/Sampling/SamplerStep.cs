using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>What a sampler reports after each step. The tensors belong to the step's dispose scope and are only valid
/// during the call: keep one with <c>x.clone().DetachFromDisposeScope()</c> (and dispose it yourself).</summary>
/// <param name="Index">The step just taken (0-based).</param>
/// <param name="Count">The number of steps in the run.</param>
/// <param name="Sigma">σ at the start of the step.</param>
/// <param name="NextSigma">σ at its end.</param>
/// <param name="X">The new x (at NextSigma).</param>
/// <param name="Denoised">The denoised estimate the step used.</param>
public readonly record struct SamplerStep(int Index, int Count, float Sigma, float NextSigma, Tensor X, Tensor Denoised);
