using System.Globalization;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// A recipe's text and the name errors use for it (the path as the user typed it). <see cref="FullPath"/> is
/// where the text came from, recorded in the debug information; null for text that never was a file.
/// Recipes are at most <see cref="MaxBytes"/> long: they are short programs, and a multi-megabyte one would only
/// reach the compiler's internal limits ("too many fields") after a long compile.
/// </summary>
public sealed record RecipeSource(string Name, string Text, string? FullPath)
{
    /// <summary>The largest recipe accepted, in bytes of the file (or UTF-16 characters of text given directly).</summary>
    public const int MaxBytes = 1 << 20;

    public static RecipeSource FromFile(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new ArgumentException("recipe path must not be empty", nameof(path));
        var full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"recipe not found: {path} (looked at {full})", full);
        var length = new FileInfo(full).Length;
        if (length > MaxBytes) throw TooLarge(path, length);
        return new RecipeSource(path, File.ReadAllText(full), full);
    }

    public static RecipeSource FromText(string name, string text)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("recipe name must not be empty", nameof(name));
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxBytes) throw TooLarge(name, text.Length);
        return new RecipeSource(name, text, null);
    }

    static RecipeTooLargeException TooLarge(string name, long length) => new(string.Create(CultureInfo.InvariantCulture,
        $"recipe too large: {name} is {length / 1048576.0:F1} MB; recipes are limited to {MaxBytes / 1048576} MB (read data from files, or move code into a plugin)"));
}
