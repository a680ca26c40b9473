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

/// <summary>A seeded CPU generator (draws are moved to the device), replayable from its seed or state.</summary>
public sealed class SeededRandom(long seed) : IRandomSource, IDisposable
{
    readonly Sampling.SeededNoise _noise = new(seed);

    public Tensor Normal(long[] shape, Device device) => _noise.Normal(shape, ScalarType.Float32, device);
    public Tensor Integers(long low, long high, long[] shape, Device device) => _noise.Integers(low, high, shape, device);
    public Tensor Uniform(long[] shape, Device device) => _noise.Uniform(shape, device);
    public Tensor GetState() => _noise.GetState();
    public void SetState(Tensor state) => _noise.SetState(state);
    public void Dispose() => _noise.Dispose();
}
