using Pipeline.Components;
using Pipeline.Plugins.Recipes;

namespace Pipeline.Tests.Recipes;

/// <summary>A temporary folder with its own recipe cache, recipe files and output folder; removed afterwards.</summary>
sealed class RecipeWorkspace : IDisposable
{
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "sdxl-recipes-" + Guid.NewGuid().ToString("N"));

    public RecipeWorkspace() => Directory.CreateDirectory(Root);

    public string CacheDirectory => Path.Combine(Root, "cache");

    public RecipeHostOptions Options => new(CacheDirectory);

    /// <summary>A new host over this workspace's cache: it shares the disk cache but nothing in memory.</summary>
    public RecipeHost NewHost() => new(Options);

    /// <summary>Writes <paramref name="text"/> to <paramref name="name"/> and returns it as a recipe source.</summary>
    public RecipeSource Recipe(string name, string text)
    {
        var path = Path.Combine(Root, name);
        File.WriteAllText(path, text);
        return RecipeSource.FromFile(path);
    }

    public RecipeGlobals Globals(RecipeArgs? args = null, IRecipeProgress? progress = null, CancellationToken cancellation = default,
        ComponentRegistry? registry = null) =>
        new(args ?? RecipeArgs.Empty, registry ?? ComponentRegistry.BuiltIns, progress ?? new RecordingRecipeProgress(),
            new RecipeOutput(Path.Combine(Root, "out")), cancellation);

    public void Dispose()
    {
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
