using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;

namespace Schedules.ComfyUI;

/// <summary>
/// ComfyUI's <c>ddim_uniform</c> scheduler: table entries from index 1 upwards in strides of s = max(⌊T/N⌋, 1)
/// (indices 1, 1 + s, 1 + 2s, … below T), highest first, then 0.
/// <para>The length is not N + 1: it is ⌊(T − 2)/s⌋ + 2, which exceeds N + 1 when T/N is not an integer (N = 7
/// gives 8 sigmas and the 0, N = 30 gives 31), and the first σ is generally below σ_max (it is σ_table[1 + ks]).
/// <see cref="Sigmas"/> allows any length, so callers take the step count from the result.</para>
/// </summary>
public sealed record DDIMUniformScheduler(ModelSamplingDiscrete Model) : IDiscretization
{
    public DDIMUniformScheduler() : this(ModelSamplingDiscrete.Sdxl) { }

    /// <summary>How many sigmas (without the final 0) an <paramref name="steps"/>-step request returns.</summary>
    public int Length(int steps)
    {
        ScheduleValues.ValidateSteps(steps);
        int stride = Math.Max(Model.NumTimesteps / steps, 1);
        return (Model.NumTimesteps - 2) / stride + 1;
    }

    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        ScheduleValues.ValidateSteps(steps);
        var table = Model.Sigmas;
        int stride = Math.Max(table.Count / steps, 1);
        var ascending = new List<float>();
        for (int t = 1; t < table.Count; t += stride) ascending.Add(table[t]);
        ascending.Reverse();
        ascending.Add(0f);
        return ScheduleValues.Finish(ascending, appendZero);
    }
}
