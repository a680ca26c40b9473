using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

/// <summary>log σ ~ N(P_mean, P_std²) (Karras et al. 2022).</summary>
public sealed record EDMSampling(double PMean = -1.2, double PStd = 1.2) : ISigmaSampler
{
    public Tensor Sample(int n, IRandomSource random, Device device)
    {
        using var scope = NewDisposeScope();
        return (PMean + PStd * random.Normal(new long[] { n }, device)).exp().MoveToOuterDisposeScope();
    }
}
