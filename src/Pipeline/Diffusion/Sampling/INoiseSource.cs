using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>The only way samplers get randomness, so a run can be replayed exactly.</summary>
public interface INoiseSource
{
    /// <summary>A new standard-normal tensor with the shape, dtype and device of <paramref name="like"/>.</summary>
    Tensor Next(Tensor like);
}
