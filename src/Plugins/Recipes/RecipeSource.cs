namespace Pipeline.Plugins.Recipes;

/// <summary>
/// A recipe's text and the name errors use for it (the path as the user typed it). <see cref="FullPath"/> is
/// where the text came from, recorded in the debug information; null for text that never was a file.
/// </summary>
public sealed record RecipeSource(string Name, string Text, string? FullPath)
{
    public static RecipeSource FromFile(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("recipe path must not be empty", nameof(path));
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"recipe not found: {path} (looked at {full})", full);
        return new RecipeSource(path, File.ReadAllText(full), full);
    }

    public static RecipeSource FromText(string name, string text)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("recipe name must not be empty", nameof(name));
        ArgumentNullException.ThrowIfNull(text);
        return new RecipeSource(name, text, null);
    }
}
