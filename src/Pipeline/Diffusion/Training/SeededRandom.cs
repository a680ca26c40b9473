using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

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
