using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

/// <summary>ε-prediction weighting λ = σ⁻², which makes the x₀ loss equal the ε loss of DDPM.</summary>
public sealed record EpsWeighting : ILossWeighting
{
    public Tensor Weight(Tensor sigma) => sigma.pow(-2.0);
}
