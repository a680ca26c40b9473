using Pipeline.Diffusion;

namespace Schedules.ComfyUI;

static class ScheduleValues
{
    /// <summary>A <see cref="Sigmas"/> from values that end with the schedule's final 0, without it unless <paramref name="appendZero"/>.</summary>
    public static Sigmas Finish(IReadOnlyList<float> valuesEndingWithZero, bool appendZero)
    {
        if (valuesEndingWithZero.Count < 2 || valuesEndingWithZero[^1] != 0f)
            throw new InvalidOperationException($"a schedule must end with 0, got [{string.Join(", ", valuesEndingWithZero)}]");
        return new Sigmas(appendZero ? valuesEndingWithZero : valuesEndingWithZero.Take(valuesEndingWithZero.Count - 1));
    }

    public static void ValidateSteps(int steps)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), $"steps must be >= 1, got {steps}");
    }

    public static void ValidateRange(double sigmaMin, double sigmaMax)
    {
        if (!(sigmaMin > 0 && sigmaMax > sigmaMin && double.IsFinite(sigmaMax)))
            throw new ArgumentException($"need 0 < sigma_min < sigma_max < inf, got {sigmaMin}, {sigmaMax}");
    }
}
