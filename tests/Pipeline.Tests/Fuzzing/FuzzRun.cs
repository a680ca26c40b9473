namespace Pipeline.Tests.Fuzzing;

/// <summary>
/// Seeded fuzz loops that fit CI time: a fixed number of cases per run, deterministic (case i uses seed
/// <c>PIPELINE_FUZZ_SEED + i</c>, 0 by default), multiplied by <c>PIPELINE_FUZZ_SOAK</c> (e.g. 10) for an opt-in soak.
/// Each case is time-boxed on its own thread, so a hang fails the run naming the case instead of stalling it.
/// </summary>
public static class FuzzRun
{
    public static int Soak => int.TryParse(Environment.GetEnvironmentVariable("PIPELINE_FUZZ_SOAK"), out var n) && n > 0 ? n : 1;

    public static int BaseSeed => int.TryParse(Environment.GetEnvironmentVariable("PIPELINE_FUZZ_SEED"), out var s) ? s : 0;

    /// <summary>Runs <paramref name="body"/> for <paramref name="casesPerRun"/> × <see cref="Soak"/> seeds; returns how many ran.</summary>
    public static int Cases(int casesPerRun, TimeSpan perCase, Action<int> body)
    {
        int cases = casesPerRun * Soak;
        for (int i = 0; i < cases; i++)
        {
            int seed = unchecked(BaseSeed + i);
            var run = Task.Run(() => body(seed));
            try
            {
                if (!run.Wait(perCase)) throw new TimeoutException($"fuzz case with seed {seed} did not finish within {perCase}");
            }
            catch (AggregateException e) when (e.InnerException is { } inner)
            {
                throw new Xunit.Sdk.XunitException($"fuzz case with seed {seed} (replay with PIPELINE_FUZZ_SEED={seed}): {inner}");
            }
        }
        return cases;
    }
}
