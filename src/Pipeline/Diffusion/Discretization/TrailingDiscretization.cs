namespace Pipeline.Diffusion.Discretization;

/// <summary>
/// diffusers' "trailing" timestep spacing on the SD/SDXL DDPM table: timesteps T−1, T−1−T/N, … taken in equal strides
/// of T/N from the very last one (<c>round(arange(T, 0, −T/N)) − 1</c>), so a few-step schedule starts at the highest
/// noise level. SDXL-Lightning and Hyper-SD were distilled on this spacing and specify it (with Euler); sgm's
/// <see cref="LegacyDDPMDiscretization"/> starts one stride lower and misses that level.
/// </summary>
public sealed record TrailingDiscretization(LegacyDDPMDiscretization Table) : IDiscretization
{
    public TrailingDiscretization() : this(new LegacyDDPMDiscretization()) { }

    /// <summary>The DDPM timesteps of an <paramref name="steps"/>-step schedule, descending (4 steps: 999, 749, 499, 249).</summary>
    public int[] Timesteps(int steps)
    {
        int t = Table.NumTimesteps;
        if (steps < 1 || steps > t) throw new ArgumentOutOfRangeException(nameof(steps), $"steps must be in [1, {t}], got {steps}");
        double stride = (double)t / steps;
        // numpy's arange(T, 0, -stride) then round-half-to-even, minus one.
        return Enumerable.Range(0, steps).Select(i => (int)Math.Round(t - i * stride, MidpointRounding.ToEven) - 1).ToArray();
    }

    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        var values = Timesteps(steps).Select(Table.SigmaAt);
        return new Sigmas(appendZero ? values.Append(0f) : values);
    }
}
