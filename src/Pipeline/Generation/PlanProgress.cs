namespace Pipeline.Generation;

/// <summary>
/// One sampler step of a plan run: the phase (<c>base</c>, <c>refiner</c> or <c>hires</c>), the step within the phase, and the step
/// count over the whole plan. Holds no tensors, so any <see cref="IProgress{T}"/> may keep it.
/// </summary>
public readonly record struct PlanProgress(string Phase, int Step, int PhaseSteps, int Done, int Total, float Sigma);

/// <summary>An <see cref="IProgress{T}"/> that calls <paramref name="report"/> on the reporting thread, immediately.</summary>
public sealed class InlineProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
