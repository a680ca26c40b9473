namespace Pipeline.Plugins.Recipes;

/// <summary>The recipe did not compile; nothing ran. The message has one <see cref="RecipeDiagnostic"/> per line.</summary>
public sealed class RecipeCompileException(string recipe, IReadOnlyList<RecipeDiagnostic> errors)
    : Exception(string.Join(Environment.NewLine, errors))
{
    public string Recipe { get; } = recipe;
    public IReadOnlyList<RecipeDiagnostic> Errors { get; } = errors;
}
