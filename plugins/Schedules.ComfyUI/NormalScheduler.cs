using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;

namespace Schedules.ComfyUI;

/// <summary>
/// ComfyUI's <c>normal</c> scheduler (and, with <see cref="Sgm"/>, <c>sgm_uniform</c>): timesteps evenly spaced in
/// float32 from timestep(σ_max) to timestep(σ_min), mapped back with <see cref="ModelSamplingDiscrete.Sigma"/>
/// (log-linear interpolation of the table), then 0. <c>normal</c> takes N points including the last timestep;
/// <c>sgm_uniform</c> takes N + 1 points and drops the last, as sgm's discretization spaces its timesteps.
/// </summary>
public sealed record NormalScheduler(ModelSamplingDiscrete Model, bool Sgm = false) : IDiscretization
{
    public NormalScheduler() : this(ModelSamplingDiscrete.Sdxl) { }

    /// <summary>The float32 timesteps handed to <see cref="ModelSamplingDiscrete.Sigma"/>, in order.</summary>
    public float[] Timesteps(int steps)
    {
        ScheduleValues.ValidateSteps(steps);
        float start = Model.Timestep(Model.SigmaMax), end = Model.Timestep(Model.SigmaMin);
        return Sgm ? TorchFloat32.Linspace(start, end, steps + 1)[..steps] : TorchFloat32.Linspace(start, end, steps);
    }

    public Sigmas GetSigmas(int steps, bool appendZero = true) =>
        ScheduleValues.Finish(Timesteps(steps).Select(Model.Sigma).Append(0f).ToList(), appendZero);
}
