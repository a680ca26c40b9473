using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;

namespace Schedules.ComfyUI;

/// <summary>
/// ComfyUI's <c>kl_optimal</c> scheduler (Align Your Steps' KL-optimal schedule, AUTOMATIC1111 PR 15608): σ_k =
/// tan((k/(N−1))·atan σ_min + (1 − k/(N−1))·atan σ_max) in float32, k = 0 … N−1, then 0. ComfyUI divides by N − 1
/// and so returns NaN for one step; here one step gives the k = 0 value, tan(atan σ_max).
/// </summary>
public sealed record KLOptimalScheduler(double SigmaMin, double SigmaMax) : IDiscretization
{
    /// <summary>Over the SDXL table's range.</summary>
    public KLOptimalScheduler() : this(ModelSamplingDiscrete.Sdxl.SigmaMin, ModelSamplingDiscrete.Sdxl.SigmaMax) { }

    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        ScheduleValues.ValidateSteps(steps);
        ScheduleValues.ValidateRange(SigmaMin, SigmaMax);
        float atanMin = (float)Math.Atan(SigmaMin), atanMax = (float)Math.Atan(SigmaMax);
        var values = Enumerable.Range(0, steps).Select(k =>
        {
            float w = steps == 1 ? 0f : (float)k / (steps - 1);
            return MathF.Tan(w * atanMin + (1f - w) * atanMax);
        }).Append(0f).ToList();
        return ScheduleValues.Finish(values, appendZero);
    }
}
