using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

/// <summary>λ(σ): per-sample weight of the denoising loss (sgm <c>loss_weighting</c>).</summary>
public interface ILossWeighting
{
    Tensor Weight(Tensor sigma);
}

/// <summary>λ = 1.</summary>
public sealed record UnitWeighting : ILossWeighting
{
    public Tensor Weight(Tensor sigma) => ones_like(sigma);
}

/// <summary>λ = (σ² + σd²)/(σ·σd)² (Karras et al. 2022, Table 1).</summary>
public sealed record EDMWeighting(double SigmaData = 0.5) : ILossWeighting
{
    public Tensor Weight(Tensor sigma) => (sigma.pow(2) + SigmaData * SigmaData) / (sigma * SigmaData).pow(2);
}

/// <summary>v-prediction weighting: <see cref="EDMWeighting"/> with σd = 1.</summary>
public sealed record VWeighting : ILossWeighting
{
    public Tensor Weight(Tensor sigma) => new EDMWeighting(1.0).Weight(sigma);
}

/// <summary>ε-prediction weighting λ = σ⁻², which makes the x₀ loss equal the ε loss of DDPM.</summary>
public sealed record EpsWeighting : ILossWeighting
{
    public Tensor Weight(Tensor sigma) => sigma.pow(-2.0);
}
