using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

/// <summary>λ = 1.</summary>
public sealed record UnitWeighting : ILossWeighting
{
    public Tensor Weight(Tensor sigma) => ones_like(sigma);
}
