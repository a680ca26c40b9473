using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>
/// Noise: the initial latent noise of a seed, drawn on the CPU (so a seed gives the same image on any device) and
/// moved to the device. The same source then feeds the sampler's own draws.
/// </summary>
public static class NoiseStage
{
    public static Tensor Initial(SeededNoise source, long[] latentShape, Device device) =>
        source.Normal(latentShape, ScalarType.Float32, device);
}
