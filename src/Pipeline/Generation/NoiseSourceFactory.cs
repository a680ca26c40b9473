using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;

namespace Pipeline.Generation;

/// <summary>
/// Makes the noise source of one sampling run from a seed (and the run's schedule, for sources that need its σ range,
/// such as a Brownian tree). The executor disposes sources that are <see cref="IDisposable"/>.
/// </summary>
public interface INoiseSourceFactory
{
    INoiseSource Create(long seed, Sigmas sigmas);
}

/// <summary>Independent Gaussian draws from a seeded CPU generator (<see cref="SeededNoise"/>): the default.</summary>
public sealed record SeededNoiseFactory : INoiseSourceFactory
{
    public static SeededNoiseFactory Instance { get; } = new();

    public INoiseSource Create(long seed, Sigmas sigmas) => new SeededNoise(seed);
}
