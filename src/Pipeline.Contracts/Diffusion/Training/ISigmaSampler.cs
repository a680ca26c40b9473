using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

/// <summary>Draws training noise levels (sgm <c>sigma_sampling</c>).</summary>
public interface ISigmaSampler
{
    /// <summary>[n] float32 sigmas on <paramref name="device"/>.</summary>
    Tensor Sample(int n, IRandomSource random, Device device);
}
