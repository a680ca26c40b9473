using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// Noise from a seeded CPU generator, moved to the target device afterwards: a seed gives the same draws on
/// every device. Stateful by nature (each draw advances the generator); use one per run.
/// </summary>
public sealed class SeededNoise : INoiseSource, IDisposable
{
    readonly Generator _generator;

    /// <summary>A source whose draws are fixed by <paramref name="seed"/>.</summary>
    public SeededNoise(long seed)
    {
        Seed = seed;
        _generator = new Generator((ulong)seed, CPU);
    }

    /// <summary>The seed the generator started from.</summary>
    public long Seed { get; }

    /// <inheritdoc/>
    public Tensor Next(Tensor like) => Normal(like.shape, like.dtype, like.device);

    /// <summary>Standard-normal draws of <paramref name="shape"/> (float32 on the CPU, then converted).</summary>
    public Tensor Normal(long[] shape, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var draw = randn(shape, ScalarType.Float32, CPU, generator: _generator);
        return draw.to(dtype, device ?? CPU).MoveToOuterDisposeScope();
    }

    /// <summary>Uniform integers in [low, high) of <paramref name="shape"/> (int64 on the CPU, then moved).</summary>
    public Tensor Integers(long low, long high, long[] shape, Device? device = null)
    {
        using var scope = NewDisposeScope();
        var draw = randint(low, high, shape, ScalarType.Int64, CPU, generator: _generator);
        return draw.to(device ?? CPU).MoveToOuterDisposeScope();
    }

    /// <summary>Uniform floats in [0, 1) of <paramref name="shape"/>.</summary>
    public Tensor Uniform(long[] shape, Device? device = null)
    {
        using var scope = NewDisposeScope();
        return rand(shape, ScalarType.Float32, CPU, generator: _generator).to(device ?? CPU).MoveToOuterDisposeScope();
    }

    /// <summary>The generator state (for bit-exact resume of training).</summary>
    public Tensor GetState() => _generator.get_state();

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    public void SetState(Tensor state) => _generator.set_state(state);

    /// <summary>Releases the generator.</summary>
    public void Dispose() => _generator.Dispose();
}
