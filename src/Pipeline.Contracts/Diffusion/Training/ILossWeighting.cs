using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

/// <summary>λ(σ): per-sample weight of the denoising loss (sgm <c>loss_weighting</c>).</summary>
public interface ILossWeighting
{
    /// <summary>λ for each σ of <paramref name="sigma"/> [B]: a new tensor of the same shape.</summary>
    Tensor Weight(Tensor sigma);
}
