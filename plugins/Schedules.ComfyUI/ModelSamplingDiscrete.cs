using System.Collections.Concurrent;
using Pipeline.Diffusion.Discretization;

namespace Schedules.ComfyUI;

/// <summary>
/// ComfyUI's <c>ModelSamplingDiscrete</c> for an ε-prediction model (what <c>comfy.model_base</c> builds for SDXL):
/// the DDPM "linear" betas <c>linspace(√start, √end, T)²</c>, ᾱ = cumprod(1 − β) and σ = √((1 − ᾱ)/ᾱ), all in
/// float64 (ᾱ from the contract's <see cref="ScaledLinearBetas.AlphasCumprod"/>, the float64 computation sgm's <c>LegacyDDPMDiscretization</c> uses),
/// then the table σ and its float64 log rounded to float32. Differs in the last bit from sgm's table, which rounds
/// before the square root, for about 130 of 1000 entries. There is no zero-terminal-SNR option, so the schedulers'
/// branches for a table that ends at σ ≈ 0 never apply and are left out.
/// </summary>
public sealed record ModelSamplingDiscrete(double LinearStart = 0.00085, double LinearEnd = 0.012, int NumTimesteps = 1000)
{
    sealed record Tables(float[] Sigmas, float[] LogSigmas);

    static readonly ConcurrentDictionary<(double, double, int), Tables> Cache = new();

    /// <summary>The SDXL defaults.</summary>
    public static ModelSamplingDiscrete Sdxl { get; } = new();

    Tables Table => Cache.GetOrAdd((LinearStart, LinearEnd, NumTimesteps), key =>
    {
        var acp = ScaledLinearBetas.AlphasCumprod(key.Item1, key.Item2, key.Item3);
        var sigmas = acp.Select(a => Math.Sqrt((1 - a) / a)).ToArray();
        return new Tables(sigmas.Select(s => (float)s).ToArray(), sigmas.Select(s => (float)Math.Log(s)).ToArray());
    });

    /// <summary>σ for timesteps 0 … T−1, ascending (float32).</summary>
    public IReadOnlyList<float> Sigmas => Table.Sigmas;

    /// <summary>ln σ taken in float64, rounded to float32 (not the log of the float32 σ).</summary>
    public IReadOnlyList<float> LogSigmas => Table.LogSigmas;

    public float SigmaMin => Table.Sigmas[0];
    public float SigmaMax => Table.Sigmas[^1];

    /// <summary>The table index whose log σ is nearest to ln σ (float32; the first on ties).</summary>
    public long Timestep(float sigma)
    {
        if (!(sigma > 0)) throw new ArgumentOutOfRangeException(nameof(sigma), $"sigma must be positive, got {sigma}");
        var logs = Table.LogSigmas;
        float logSigma = MathF.Log(sigma);
        int best = 0;
        float bestDistance = MathF.Abs(logSigma - logs[0]);
        for (int j = 1; j < logs.Length; j++)
        {
            float distance = MathF.Abs(logSigma - logs[j]);
            if (distance < bestDistance) (best, bestDistance) = (j, distance);
        }
        return best;
    }

    /// <summary>σ at a fractional timestep: t clamped to [0, T−1], exp of the float32 linear interpolation of log σ.</summary>
    public float Sigma(float timestep)
    {
        if (float.IsNaN(timestep)) throw new ArgumentException("timestep is NaN");
        var logs = Table.LogSigmas;
        float t = Math.Clamp(timestep, 0f, logs.Length - 1);
        int low = (int)MathF.Floor(t), high = (int)MathF.Ceiling(t);
        float w = t - MathF.Truncate(t);
        float logSigma = (1f - w) * logs[low] + w * logs[high];
        return MathF.Exp(logSigma);
    }

    /// <summary>σ where a fraction <paramref name="percent"/> of the denoising is done: σ((1 − p)·(T − 1)); 999999999.9 for p ≤ 0, 0 for p ≥ 1.</summary>
    public double PercentToSigma(double percent)
    {
        if (double.IsNaN(percent)) throw new ArgumentException("percent is NaN");
        if (percent <= 0.0) return 999999999.9;
        if (percent >= 1.0) return 0.0;
        return Sigma((float)((1.0 - percent) * (NumTimesteps - 1)));
    }
}
