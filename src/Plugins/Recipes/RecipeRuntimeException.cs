namespace Pipeline.Plugins.Recipes;

/// <summary>
/// The recipe compiled but threw while running. <see cref="Line"/> is the innermost line of the recipe on the
/// exception's stack (the call into the library that failed, or the recipe's own <c>throw</c>); the original
/// exception is <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class RecipeRuntimeException(string recipe, int? line, Exception error)
    : Exception($"{recipe}{(line is { } l ? $":{l}" : "")}: {error.GetType().Name}: {error.Message}", error)
{
    public string Recipe { get; } = recipe;
    public int? Line { get; } = line;
}
