using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;

namespace Schedules.ComfyUI;

/// <summary>
/// k-diffusion's <c>get_sigmas_vp</c>: the continuous variance-preserving schedule of Song et al. (2021),
/// σ(t) = √(exp(β_d t²/2 + β_min t) − 1) at N times t going linearly (float32) from 1 to ε_s, then 0. The square
/// root's argument is formed with expm1 in float64 (as ComfyUI's fork does, with expm1), so the small-σ end is
/// accurate; k-diffusion's float32 exp(x) − 1 differs from it by up to 2e-4 relative there.
/// <para>Its range is its own (σ(1) ≈ 151.6 with the defaults), not the SDXL table's: see <see cref="SigmaMax"/>.</para>
/// </summary>
public sealed record VPSchedule(double BetaD = 19.9, double BetaMin = 0.1, double EpsS = 1e-3) : IDiscretization
{
    /// <summary>σ(1), the first sigma of every schedule.</summary>
    public double SigmaMax => SigmaAt(1.0);

    double SigmaAt(double t) => Math.Sqrt(ExpM1(BetaD * t * t / 2 + BetaMin * t));

    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        ScheduleValues.ValidateSteps(steps);
        if (!(BetaD > 0 && BetaMin >= 0 && EpsS > 0 && EpsS < 1))
            throw new ArgumentException($"need beta_d > 0, beta_min >= 0, 0 < eps_s < 1, got {BetaD}, {BetaMin}, {EpsS}");
        var values = TorchFloat32.Linspace(1f, (float)EpsS, steps).Select(t => (float)SigmaAt(t));
        return ScheduleValues.Finish(values.Append(0f).ToList(), appendZero);
    }

    static double ExpM1(double x)
    {
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        return um1 == -1.0 ? -1.0 : um1 * x / Math.Log(u);
    }
}
