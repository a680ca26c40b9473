using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>The guided denoiser a sampler drives: x [B, …], σ [B] → x̂₀ (a new tensor).</summary>
public delegate Tensor DenoiseFunction(Tensor x, Tensor sigma);
