using System.Collections.Immutable;

namespace Pipeline.Plugins.Recipes;

/// <summary>Keeps every report in order (thread-safe); for tests and for callers that render afterwards.</summary>
public sealed class RecordingRecipeProgress : IRecipeProgress
{
    ImmutableList<RecipeProgressEvent> _events = ImmutableList<RecipeProgressEvent>.Empty;

    public IReadOnlyList<RecipeProgressEvent> Events => Volatile.Read(ref _events);

    public void Report(string stage, int step, int total)
    {
        RecipeProgressChecks.Step(stage, step, total);
        ImmutableInterlocked.Update(ref _events, e => e.Add(new RecipeProgressEvent.Step(stage, step, total)));
    }

    public void Log(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        ImmutableInterlocked.Update(ref _events, e => e.Add(new RecipeProgressEvent.Logged(message)));
    }
}
