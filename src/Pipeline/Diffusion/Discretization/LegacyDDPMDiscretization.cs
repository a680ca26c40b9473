namespace Pipeline.Diffusion.Discretization;

/// <summary>
/// sgm's <c>LegacyDDPMDiscretization</c>: the DDPM "scaled linear" betas of SD/SDXL
/// (<c>linspace(√start, √end, T)²</c> in float64), σ = √((1 − ᾱ)/ᾱ) with the ratio rounded to float32
/// before the square root; sub-schedules pick roughly equally spaced timesteps.
/// </summary>
public sealed record LegacyDDPMDiscretization(
    double LinearStart = ScaledLinearBetas.SdxlLinearStart, double LinearEnd = ScaledLinearBetas.SdxlLinearEnd,
    int NumTimesteps = ScaledLinearBetas.SdxlNumTimesteps)
    : IDiscretization
{
    // Cached per setting (not in an instance field: a record copy made with `with` must not keep the old table,
    // and equal settings must compare equal).
    static readonly System.Collections.Concurrent.ConcurrentDictionary<(double, double, int), double[]> Cache = new();

    double[] Acp => Cache.GetOrAdd((LinearStart, LinearEnd, NumTimesteps), k => ScaledLinearBetas.AlphasCumprod(k.Item1, k.Item2, k.Item3));

    /// <summary>ᾱ_t for t = 0 … T−1 (float64, <see cref="ScaledLinearBetas.AlphasCumprod"/>).</summary>
    public IReadOnlyList<double> AlphasCumprod => Acp;

    /// <summary>The DDPM timesteps used by an <paramref name="steps"/>-step schedule, ascending
    /// (sgm <c>generate_roughly_equally_spaced_steps</c>: <c>linspace(T−1, 0, n, endpoint=False)</c> truncated, reversed).</summary>
    public int[] Timesteps(int steps)
    {
        ValidateSteps(steps);
        if (steps == NumTimesteps) return Enumerable.Range(0, NumTimesteps).ToArray();
        double start = NumTimesteps - 1, delta = (0.0 - start) / steps;
        return Enumerable.Range(0, steps).Select(i => (int)(i * delta + start)).Reverse().ToArray();
    }

    /// <summary>σ for DDPM timestep <paramref name="t"/> (float32 as sgm computes it).</summary>
    public float SigmaAt(int t)
    {
        double acp = Acp[t];
        return MathF.Sqrt((float)((1 - acp) / acp));
    }

    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        var values = Timesteps(steps).Select(SigmaAt).Reverse();
        return new Sigmas(appendZero ? values.Append(0f) : values);
    }

    /// <summary>All T sigmas in ascending order: the table a <see cref="Denoising.DiscreteDenoiser"/> quantizes to.</summary>
    public float[] AscendingTable() => Enumerable.Range(0, NumTimesteps).Select(SigmaAt).ToArray();

    static readonly System.Collections.Concurrent.ConcurrentDictionary<(LegacyDDPMDiscretization, int), float[]> Tables = new();

    /// <summary>The ascending table of an <paramref name="numIdx"/>-step schedule (sgm's <c>discretization(numIdx, flip=True)</c>), cached.</summary>
    public IReadOnlyList<float> AscendingTable(int numIdx) =>
        Tables.GetOrAdd((this, numIdx), k => k.Item1.GetSigmas(k.Item2, appendZero: false).Reverse().ToArray());

    void ValidateSteps(int steps)
    {
        if (steps < 1 || steps > NumTimesteps)
            throw new ArgumentOutOfRangeException(nameof(steps), $"steps must be in [1, {NumTimesteps}], got {steps}");
    }
}
