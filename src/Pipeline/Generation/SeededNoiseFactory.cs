using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;

namespace Pipeline.Generation;

/// <summary>Independent Gaussian draws from a seeded CPU generator (<see cref="SeededNoise"/>): the default.</summary>
public sealed record SeededNoiseFactory : INoiseSourceFactory
{
    public static SeededNoiseFactory Instance { get; } = new();

    public INoiseSource Create(long seed, Sigmas sigmas) => new SeededNoise(seed);
}
