namespace Pipeline.Plugins.Recipes;

/// <summary>One compile error, in the recipe file's own coordinates (1-based line and column; 0 when it has no place).</summary>
public sealed record RecipeDiagnostic(string File, int Line, int Column, string Id, string Message)
{
    /// <summary><c>file.csx:line:col: error CSxxxx: message</c>, as compilers print it.</summary>
    public override string ToString() =>
        Line > 0 ? $"{File}:{Line}:{Column}: error {Id}: {Message}" : $"{File}: error {Id}: {Message}";
}
