using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;

namespace Schedules.ComfyUI;

/// <summary>
/// ComfyUI's <c>beta</c> scheduler (Lee et al. 2024, "Beta Sampling is All You Need", arXiv:2407.12173): the
/// quantiles q_k = 1 − k/N (k = 0 … N−1) of a Beta(α, β) distribution pick table indices rint(F⁻¹(q_k)·(T − 1)),
/// consecutive repeats are dropped, then 0. F⁻¹ is the inverse regularised incomplete beta function
/// (<see cref="IncompleteBeta.Inverse"/>). Because repeats are dropped the result can be shorter than N + 1 (it never
/// is longer); it always starts at σ_max (q_0 = 1).
/// </summary>
public sealed record BetaScheduler(ModelSamplingDiscrete Model, double Alpha = 0.6, double Beta = 0.6) : IDiscretization
{
    public BetaScheduler() : this(ModelSamplingDiscrete.Sdxl) { }

    /// <summary>The quantiles q_k = 1 − k·(1/N) as NumPy's <c>1 - linspace(0, 1, N, endpoint=False)</c> computes them.</summary>
    public static double[] Quantiles(int steps)
    {
        ScheduleValues.ValidateSteps(steps);
        double step = 1.0 / steps;
        return Enumerable.Range(0, steps).Select(k => 1.0 - (k * step + 0.0)).ToArray();
    }

    /// <summary>The table indices picked for <paramref name="steps"/> steps, before repeats are dropped.</summary>
    public long[] Indices(int steps)
    {
        if (!(Alpha > 0 && Beta > 0 && double.IsFinite(Alpha) && double.IsFinite(Beta)))
            throw new ArgumentException($"alpha and beta must be positive and finite, got {Alpha}, {Beta}");
        int last = Model.NumTimesteps - 1;
        return Quantiles(steps).Select(q => (long)Math.Round(IncompleteBeta.Inverse(q, Alpha, Beta) * last, MidpointRounding.ToEven)).ToArray();
    }

    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        var table = Model.Sigmas;
        var values = new List<float>();
        long previous = -1;
        foreach (var t in Indices(steps))
        {
            if (t != previous) values.Add(table[(int)t]);
            previous = t;
        }
        values.Add(0f);
        return ScheduleValues.Finish(values, appendZero);
    }
}
