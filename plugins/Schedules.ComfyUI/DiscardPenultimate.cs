using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;

namespace Schedules.ComfyUI;

/// <summary>
/// What ComfyUI's KSampler does for <c>dpm_2</c>, <c>dpm_2_ancestral</c>, <c>uni_pc</c> and <c>uni_pc_bh2</c>: the
/// inner schedule for N + 1 steps without its second-to-last σ, so the sampler's last step goes from a larger σ
/// straight to 0 (second-order samplers spend two model calls per step but only one on the last).
/// </summary>
public sealed record DiscardPenultimate(IDiscretization Inner) : IDiscretization
{
    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        ScheduleValues.ValidateSteps(steps);
        var full = Inner.GetSigmas(steps + 1, appendZero: true);
        if (full.Count < 3) throw new InvalidOperationException($"{Inner} gave {full.Count} sigmas for {steps + 1} steps; need at least 3 to drop one");
        var values = full.Take(full.Count - 2).Append(full[^1]).ToList();
        return ScheduleValues.Finish(values, appendZero);
    }
}
