using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

/// <summary>v-prediction weighting: <see cref="EDMWeighting"/> with σd = 1.</summary>
public sealed record VWeighting : ILossWeighting
{
    public Tensor Weight(Tensor sigma) => new EDMWeighting(1.0).Weight(sigma);
}
