using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;

namespace Schedules.ComfyUI;

/// <summary>
/// k-diffusion's <c>get_sigmas_polyexponential</c>: ln σ = r^ρ·(ln σ_max − ln σ_min) + ln σ_min for r going linearly
/// from 1 to 0 (float32), then 0. ρ = 1 is the exponential schedule; larger ρ spends more steps at low noise.
/// </summary>
public sealed record PolyExponentialSchedule(double SigmaMin, double SigmaMax, double Rho = 1.0) : IDiscretization
{
    /// <summary>Over the SDXL table's range, ρ = 1.</summary>
    public PolyExponentialSchedule() : this(ModelSamplingDiscrete.Sdxl.SigmaMin, ModelSamplingDiscrete.Sdxl.SigmaMax) { }

    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        ScheduleValues.ValidateSteps(steps);
        ScheduleValues.ValidateRange(SigmaMin, SigmaMax);
        if (!(Rho > 0 && double.IsFinite(Rho))) throw new ArgumentOutOfRangeException(nameof(Rho), $"rho must be positive and finite, got {Rho}");
        float span = (float)(Math.Log(SigmaMax) - Math.Log(SigmaMin)), logMin = (float)Math.Log(SigmaMin);
        var values = TorchFloat32.Linspace(1f, 0f, steps).Select(r => MathF.Exp(TorchFloat32.Pow(r, Rho) * span + logMin));
        return ScheduleValues.Finish(values.Append(0f).ToList(), appendZero);
    }
}
