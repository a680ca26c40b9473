using static TorchSharp.torch;

namespace Pipeline.Diffusion.Scaling;

/// <summary>v-prediction: c_skip = 1/(σ²+1), c_out = −σ/√(σ²+1), c_in = 1/√(σ²+1), c_noise = σ.</summary>
public sealed record VScaling : IDenoiserScaling
{
    public DenoiserScalings Get(Tensor sigma) => VScalingMath.Get(sigma, sigma.clone());
}

/// <summary>v-prediction with EDM's noise conditioning c_noise = ¼·ln σ.</summary>
public sealed record VScalingWithEDMcNoise : IDenoiserScaling
{
    public DenoiserScalings Get(Tensor sigma) => VScalingMath.Get(sigma, 0.25 * sigma.log());
}

static class VScalingMath
{
    internal static DenoiserScalings Get(Tensor sigma, Tensor cNoise)
    {
        var s2p1 = sigma.pow(2) + 1.0;
        return new(1.0 / s2p1, -sigma / s2p1.sqrt(), 1.0 / s2p1.sqrt(), cNoise);
    }
}
