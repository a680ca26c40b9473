using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;

namespace Pipeline.Stages;

/// <summary>Where img2img starts and where the refiner takes over: index arithmetic on a schedule, in one place.</summary>
public static class ScheduleSplit
{
    /// <summary>
    /// Index where an img2img run of <paramref name="steps"/> steps at <paramref name="strength"/> starts: the last
    /// max(1, ⌊strength·steps⌋) steps run (sgm's img2img).
    /// </summary>
    public static int Img2ImgStart(int steps, double strength)
    {
        if (!(strength > 0 && strength <= 1)) throw new ArgumentOutOfRangeException(nameof(strength), $"strength must be in (0, 1], got {strength}");
        return steps - Math.Max(1, (int)(strength * steps));
    }

    /// <summary>Index of the handoff σ in a schedule of <paramref name="steps"/> steps: the base runs steps [0, k), the refiner [k, steps).</summary>
    public static int HandoffIndex(int steps, double fraction)
    {
        if (steps < 2) throw new ArgumentException($"a handoff needs at least 2 base steps, got {steps}");
        return Math.Clamp((int)Math.Round(steps * fraction), 1, steps - 1);
    }

    /// <summary>The schedule up to and including index <paramref name="k"/> (the base part of a handoff).</summary>
    public static Sigmas Until(Sigmas sigmas, int k) => new(sigmas.Take(k + 1));

    /// <summary>
    /// The refiner's SDEdit schedule: <paramref name="steps"/> steps (at most the number of scales) over the first
    /// round(strength·200) of SDXL's 1000 noise scales, the ones the refiner is trained on.
    /// </summary>
    public static Sigmas SdEdit(double strength, int steps)
    {
        var schedule = TruncatedDDPMDiscretization.ForStrength(strength);
        return schedule.GetSigmas(Math.Min(steps, schedule.MaxTimestep + 1));
    }
}
