using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

/// <summary>The randomness a training step draws, injected so a test can replay exact draws.</summary>
public interface IRandomSource
{
    /// <summary>Standard-normal draws (float32) of <paramref name="shape"/>, on <paramref name="device"/>.</summary>
    Tensor Normal(long[] shape, Device device);

    /// <summary>Uniform integers in [low, high) of <paramref name="shape"/>, int64 on <paramref name="device"/>.</summary>
    Tensor Integers(long low, long high, long[] shape, Device device);

    /// <summary>Uniform floats in [0, 1) of <paramref name="shape"/>, float32 on <paramref name="device"/>.</summary>
    Tensor Uniform(long[] shape, Device device);
}
