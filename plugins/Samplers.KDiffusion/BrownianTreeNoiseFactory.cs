using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using Pipeline.Generation;

namespace Samplers.KDiffusion;

/// <summary>
/// Makes a <see cref="BrownianTreeNoise"/> over the positive part of each run's schedule (k-diffusion's default for its
/// SDE samplers), for a plan's <c>Noise</c>: <c>plan with { Noise = new BrownianTreeNoiseFactory() }</c>.
/// </summary>
public sealed record BrownianTreeNoiseFactory(double Tolerance = 1e-6) : INoiseSourceFactory
{
    public INoiseSource Create(long seed, Sigmas sigmas) =>
        new BrownianTreeNoise(seed, sigmas.Where(s => s > 0).Min(), sigmas[0], Tolerance);
}
