using Pipeline.Diffusion;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;
using Cond = Pipeline.Conditioning.Conditioning;

namespace Pipeline.Tests.Properties;

/// <summary>
/// One guidance input drawn from a seed: x [B, 4, 3, 3], σ [B] (log-uniform, one per row), two different
/// conditionings and a denoiser whose output depends on the conditioning, so the branches differ.
/// Tensors belong to the caller's dispose scope.
/// </summary>
sealed record GuidanceCase(Tensor X, Tensor Sigma, Cond Cond, Cond Uncond)
{
    public static GuidanceCase From(int seed, int batch)
    {
        using var noise = new SeededNoise(seed);
        var x = noise.Normal(new long[] { batch, 4, 3, 3 }) * 3.0;
        var sigma = (noise.Uniform(new long[] { batch }, CPU) * 8.0 - 4.0).exp();
        return new(x, sigma, new Cond(Concat: noise.Normal(x.shape)), new Cond(Concat: noise.Normal(x.shape)));
    }

    /// <summary>A denoiser with a conditioning-dependent output: 0.3·x/(1+σ) + c·√σ.</summary>
    public static Tensor Denoiser(Tensor x, Tensor sigma, Cond c)
    {
        var s = SamplingMath.AppendDims(sigma, x.dim());
        return x * 0.3 / (s + 1.0) + c.Concat! * s.sqrt();
    }

    public Tensor Guide(IGuider guider) => Guided.Compose(guider, Denoiser, Cond, Uncond)(X, Sigma);

    public Tensor Conditional => Denoiser(X, Sigma, Cond);

    public Tensor Unconditional => Denoiser(X, Sigma, Uncond);

    /// <summary>max |actual − expected| / max |expected|, in float64.</summary>
    public static double MaxRelativeError(Tensor actual, Tensor expected)
    {
        using var scope = NewDisposeScope();
        var e = expected.to(ScalarType.Float64);
        return ((actual.to(ScalarType.Float64) - e).abs().max() / (e.abs().max() + 1e-12)).item<double>();
    }
}
