namespace Pipeline.Plugins.Recipes;

/// <summary>
/// How a run went: whether the compiled recipe came from the cache (no compiler), the time to obtain it (hash +
/// compile + emit + store, or hash + load), the time the recipe itself ran, and the value it returned (its last
/// expression or <c>return</c>; null when none).
/// </summary>
public sealed record RecipeRunResult(bool CompiledFromCache, TimeSpan CompileTime, TimeSpan RunTime, object? ReturnValue);
