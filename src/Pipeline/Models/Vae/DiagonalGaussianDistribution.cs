using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>
/// sgm <c>DiagonalGaussianDistribution</c>: the VAE posterior from <c>moments = [mean | logvar]</c> along channels,
/// logvar clamped to [-30, 20]. Owns its tensors: dispose it when done.
/// </summary>
public sealed class DiagonalGaussianDistribution : IDisposable
{
    public Tensor Mean { get; }
    public Tensor LogVar { get; }
    public Tensor Std { get; }
    public Tensor Var { get; }

    /// <param name="moments">[B, 2·C, H, W]; not kept.</param>
    public DiagonalGaussianDistribution(Tensor moments)
    {
        ArgumentNullException.ThrowIfNull(moments);
        if (moments.dim() < 2 || moments.shape[1] % 2 != 0)
            throw new ArgumentException($"moments must have an even channel count on dim 1, got [{string.Join(", ", moments.shape)}]");
        using var scope = NewDisposeScope();
        var halves = moments.chunk(2, 1);
        Mean = halves[0].contiguous().MoveToOuterDisposeScope();
        LogVar = halves[1].clamp(-30.0, 20.0).MoveToOuterDisposeScope();
        Std = (0.5 * LogVar).exp().MoveToOuterDisposeScope();
        Var = LogVar.exp().MoveToOuterDisposeScope();
    }

    /// <summary>The mode (= mean), as a new tensor the caller owns.</summary>
    public Tensor Mode() => Mean.clone();

    /// <summary><c>mean + std · noise</c> with the caller's standard-normal <paramref name="noise"/> (same shape as the mean).</summary>
    public Tensor Sample(Tensor noise)
    {
        ArgumentNullException.ThrowIfNull(noise);
        if (!noise.shape.SequenceEqual(Mean.shape))
            throw new ArgumentException($"noise must be [{string.Join(", ", Mean.shape)}], got [{string.Join(", ", noise.shape)}]");
        using var scope = NewDisposeScope();
        return (Mean + Std * noise.to(Mean.dtype, Mean.device)).MoveToOuterDisposeScope();
    }

    /// <summary>Samples with noise drawn on the CPU from <paramref name="generator"/> (then moved), so a seed gives the same latent on any device.</summary>
    public Tensor Sample(Generator? generator = null)
    {
        using var scope = NewDisposeScope();
        var noise = randn(Mean.shape, ScalarType.Float32, CPU, generator: generator);
        return Sample(noise).MoveToOuterDisposeScope();
    }

    /// <summary>KL divergence to N(0, I), summed over all but the batch dim: <c>0.5 · Σ(mean² + var − 1 − logvar)</c>.</summary>
    public Tensor Kl()
    {
        using var scope = NewDisposeScope();
        var dims = Enumerable.Range(1, (int)Mean.dim() - 1).Select(d => (long)d).ToArray();
        return (0.5 * (Mean.square() + Var - 1.0 - LogVar).sum(dims)).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        Mean.Dispose();
        LogVar.Dispose();
        Std.Dispose();
        Var.Dispose();
    }
}
