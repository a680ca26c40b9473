namespace Pipeline.Generation;

/// <summary>
/// Where an asynchronous run is: plan <see cref="PlanIndex"/> of the call, its phase ("base", "refiner", "hires"), the
/// step within the phase, steps done of the plan's total, the σ just reached, and the time since the plan started.
/// </summary>
public sealed record GenerationProgress(int PlanIndex, string Phase, int Step, int PhaseSteps, int Done, int Total, float Sigma, TimeSpan Elapsed)
{
    /// <summary>Share of the plan done, 0..1.</summary>
    public double Fraction => Total > 0 ? (double)Done / Total : 0;

    /// <summary>Time left for this plan, extrapolated from the time per step so far.</summary>
    public TimeSpan Remaining => Done > 0 ? TimeSpan.FromTicks(Elapsed.Ticks / Done * (Total - Done)) : TimeSpan.Zero;
}
