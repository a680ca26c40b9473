namespace Pipeline.Plugins.Hosting;

/// <summary>Where plugin folders are looked for.</summary>
public static class PluginDirectories
{
    /// <summary>Environment variable with extra plugin directories (separated by the path separator).</summary>
    public const string Variable = "SDXL_PLUGINS";

    /// <summary>
    /// <c>$SDXL_PLUGINS</c>, then <c>plugins/</c> beside the application, then the repository's
    /// <c>artifacts/plugins/</c> (where the solution build puts first-party plugins) when run from a checkout.
    /// Only existing directories are returned.
    /// </summary>
    public static IReadOnlyList<string> Default()
    {
        var found = new List<string>();
        var env = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(env)) found.AddRange(env.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        found.Add(Path.Combine(AppContext.BaseDirectory, "plugins"));
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
            {
                found.Add(Path.Combine(dir.FullName, "artifacts", "plugins"));
                break;
            }
        return found.Select(Path.GetFullPath).Where(Directory.Exists).Distinct().ToList();
    }

    /// <summary>Plugin folders: each subdirectory holding <c>&lt;FolderName&gt;.dll</c>, sorted by name.</summary>
    public static IEnumerable<(string Name, string AssemblyPath)> Discover(IEnumerable<string> directories) =>
        directories.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateDirectories(d))
            .Select(folder => (Name: Path.GetFileName(folder), AssemblyPath: Path.Combine(folder, Path.GetFileName(folder) + ".dll")))
            .Where(p => File.Exists(p.AssemblyPath))
            .GroupBy(p => p.Name, StringComparer.OrdinalIgnoreCase).Select(g => g.First())
            .OrderBy(p => p.Name, StringComparer.Ordinal);
}
