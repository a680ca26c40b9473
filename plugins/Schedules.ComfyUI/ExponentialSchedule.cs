using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;

namespace Schedules.ComfyUI;

/// <summary>
/// k-diffusion's <c>get_sigmas_exponential</c> (ComfyUI's <c>exponential</c> scheduler): N sigmas evenly spaced in
/// ln σ from σ_max to σ_min (float32), then 0.
/// </summary>
public sealed record ExponentialSchedule(double SigmaMin, double SigmaMax) : IDiscretization
{
    /// <summary>Over the SDXL table's range, as ComfyUI calls it.</summary>
    public ExponentialSchedule() : this(ModelSamplingDiscrete.Sdxl.SigmaMin, ModelSamplingDiscrete.Sdxl.SigmaMax) { }

    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        ScheduleValues.ValidateSteps(steps);
        ScheduleValues.ValidateRange(SigmaMin, SigmaMax);
        var logs = TorchFloat32.Linspace((float)Math.Log(SigmaMax), (float)Math.Log(SigmaMin), steps);
        return ScheduleValues.Finish(logs.Select(MathF.Exp).Append(0f).ToList(), appendZero);
    }
}
