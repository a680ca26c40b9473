using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;

namespace Pipeline.Generation;

/// <summary>
/// Makes the noise source of one sampling run from a seed (and the run's schedule, for sources that need its σ range,
/// such as a Brownian tree). The executor disposes sources that are <see cref="IDisposable"/>.
/// </summary>
public interface INoiseSourceFactory
{
    /// <summary>A fresh source for one run with <paramref name="seed"/> over <paramref name="sigmas"/>.</summary>
    INoiseSource Create(long seed, Sigmas sigmas);
}
