using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

/// <summary>λ = (σ² + σd²)/(σ·σd)² (Karras et al. 2022, Table 1).</summary>
public sealed record EDMWeighting(double SigmaData = 0.5) : ILossWeighting
{
    public Tensor Weight(Tensor sigma) => (sigma.pow(2) + SigmaData * SigmaData) / (sigma * SigmaData).pow(2);
}
