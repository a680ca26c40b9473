namespace Pipeline.Diffusion.Discretization;

/// <summary>
/// The DDPM schedule restricted to timesteps 0 … <see cref="MaxTimestep"/>: <c>steps</c> timesteps evenly spaced from
/// MaxTimestep down to 0 (rounded, distinct). SDXL's refiner is trained on the first 200 noise scales only, so
/// its SDEdit schedules live here (MaxTimestep = round(strength · 200) − 1).
/// </summary>
public sealed record TruncatedDDPMDiscretization(int MaxTimestep, LegacyDDPMDiscretization? Table = null) : IDiscretization
{
    LegacyDDPMDiscretization Ddpm => Table ?? new LegacyDDPMDiscretization();

    public int[] Timesteps(int steps)
    {
        if (MaxTimestep < 0 || MaxTimestep >= Ddpm.NumTimesteps)
            throw new ArgumentOutOfRangeException(nameof(MaxTimestep), $"MaxTimestep must be in [0, {Ddpm.NumTimesteps}), got {MaxTimestep}");
        if (steps < 1 || steps > MaxTimestep + 1)
            throw new ArgumentOutOfRangeException(nameof(steps), $"steps must be in [1, {MaxTimestep + 1}] for timesteps 0..{MaxTimestep}, got {steps}");
        if (steps == 1) return new[] { MaxTimestep };
        return Enumerable.Range(0, steps).Select(i => (int)Math.Round(MaxTimestep * (1.0 - (double)i / (steps - 1)))).ToArray();
    }

    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        var values = Timesteps(steps).Select(Ddpm.SigmaAt);
        return new Sigmas(appendZero ? values.Append(0f) : values);
    }

    /// <summary>The schedule for SDEdit with <paramref name="strength"/> ∈ (0, 1] over the first <paramref name="scales"/> noise scales.</summary>
    public static TruncatedDDPMDiscretization ForStrength(double strength, int scales = 200)
    {
        if (!(strength > 0 && strength <= 1)) throw new ArgumentOutOfRangeException(nameof(strength), $"strength must be in (0, 1], got {strength}");
        return new TruncatedDDPMDiscretization(Math.Max(0, (int)Math.Round(strength * scales) - 1));
    }
}
