using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;

namespace Schedules.ComfyUI;

/// <summary>
/// ComfyUI's <c>simple</c> scheduler: N table entries taken from the top in equal strides of T/N timesteps
/// (σ_table[T − 1 − ⌊k·T/N⌋], k = 0 … N−1), then 0.
/// </summary>
public sealed record SimpleScheduler(ModelSamplingDiscrete Model) : IDiscretization
{
    public SimpleScheduler() : this(ModelSamplingDiscrete.Sdxl) { }

    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        ScheduleValues.ValidateSteps(steps);
        var table = Model.Sigmas;
        if (steps > table.Count) throw new ArgumentOutOfRangeException(nameof(steps), $"steps must be <= {table.Count} for simple, got {steps}");
        double stride = (double)table.Count / steps;
        var values = Enumerable.Range(0, steps).Select(k => table[table.Count - 1 - (int)(k * stride)]).Append(0f).ToList();
        return ScheduleValues.Finish(values, appendZero);
    }
}
