using static TorchSharp.torch;

namespace Pipeline.Diffusion.Scaling;

/// <summary>ε-prediction (SD/SDXL): c_skip = 1, c_out = −σ, c_in = 1/√(σ²+1), c_noise = σ.</summary>
public sealed record EpsScaling : IDenoiserScaling
{
    public DenoiserScalings Get(Tensor sigma) =>
        new(ones_like(sigma), -sigma, 1 / (sigma.pow(2) + 1.0).sqrt(), sigma.clone());
}
