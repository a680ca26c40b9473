using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>The only way samplers get randomness, so a run can be replayed exactly.</summary>
public interface INoiseSource
{
    /// <summary>A new standard-normal tensor with the shape, dtype and device of <paramref name="like"/>.</summary>
    Tensor Next(Tensor like);

    /// <summary>
    /// Noise for the interval σ → σ_next (k-diffusion's <c>noise_sampler(sigma, sigma_next)</c>). Independent
    /// Gaussian sources ignore the interval; a Brownian-tree source returns the normalised path increment.
    /// </summary>
    Tensor Next(Tensor like, double sigma, double sigmaNext) => Next(like);
}
