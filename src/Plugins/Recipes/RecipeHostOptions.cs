namespace Pipeline.Plugins.Recipes;

/// <summary>Where compiled recipes are cached: <c>$SDXL_RECIPE_CACHE</c>, else <c>~/.cache/sdxl/recipes</c>.</summary>
public sealed record RecipeHostOptions
{
    public const string CacheEnvironmentVariable = "SDXL_RECIPE_CACHE";

    public RecipeHostOptions(string cacheDirectory)
    {
        if (string.IsNullOrWhiteSpace(cacheDirectory))
            throw new ArgumentException("recipe cache directory must not be empty", nameof(cacheDirectory));
        CacheDirectory = Path.GetFullPath(cacheDirectory);
    }

    public string CacheDirectory { get; }

    public static RecipeHostOptions Default => new(DefaultCacheDirectory());

    public static string DefaultCacheDirectory()
    {
        var fromEnv = Environment.GetEnvironmentVariable(CacheEnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(fromEnv)) return fromEnv;
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return Path.Combine(string.IsNullOrEmpty(home) ? Path.GetTempPath() : home, ".cache", "sdxl", "recipes");
    }
}
