using static TorchSharp.torch;

namespace Pipeline.Models;

/// <summary>Sinusoidal timestep embedding (sgm <c>timestep_embedding</c>, as in DDPM/ADM).</summary>
public static class TimestepEmbedding
{
    /// <summary>
    /// [N] → [N, dim], layout <c>[cos | sin]</c> with frequencies <c>exp(-ln(maxPeriod) · i / half)</c>, i &lt; half,
    /// computed in float32 exactly as sgm forms them; an odd <paramref name="dim"/> gets one zero column at the end.
    /// </summary>
    public static Tensor Sinusoidal(Tensor timesteps, int dim, double maxPeriod = 10000)
    {
        if (dim < 1) throw new ArgumentOutOfRangeException(nameof(dim), $"dim must be >= 1, got {dim}");
        if (timesteps.dim() != 1) throw new ArgumentException($"timesteps must be 1-D [N], got [{string.Join(", ", timesteps.shape)}]");
        using var scope = NewDisposeScope();
        int half = dim / 2;
        var freqs = exp(-Math.Log(maxPeriod) * arange(0, half, dtype: ScalarType.Float32, device: timesteps.device) / half);
        var args = timesteps.to(ScalarType.Float32).unsqueeze(1) * freqs.unsqueeze(0);
        var embedding = cat(new[] { cos(args), sin(args) }, -1);
        if (dim % 2 == 1) embedding = cat(new[] { embedding, zeros_like(embedding[.., ..1]) }, -1);
        return embedding.MoveToOuterDisposeScope();
    }
}
