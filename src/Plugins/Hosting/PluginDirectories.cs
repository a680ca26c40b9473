namespace Pipeline.Plugins.Hosting;

/// <summary>Where plugin folders are looked for.</summary>
public static class PluginDirectories
{
    /// <summary>Environment variable with extra plugin directories (separated by the path separator).</summary>
    public const string Variable = "SDXL_PLUGINS";

    /// <summary>
    /// The first-party directories, <c>plugins/</c> beside the application and the repository's
    /// <c>artifacts/plugins/</c> (where the solution build puts first-party plugins) when run from a checkout, then
    /// <c>$SDXL_PLUGINS</c>. Earlier directories win: a folder in <c>$SDXL_PLUGINS</c> named like a first-party
    /// plugin is refused, never a silent replacement. Only existing directories are returned.
    /// </summary>
    public static IReadOnlyList<string> Default() => Default(Environment.GetEnvironmentVariable(Variable));

    /// <summary><see cref="Default()"/> with <paramref name="fromEnvironment"/> as the variable's value.</summary>
    internal static IReadOnlyList<string> Default(string? fromEnvironment)
    {
        var found = new List<string> { Path.Combine(AppContext.BaseDirectory, "plugins") };
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln")))
            {
                found.Add(Path.Combine(dir.FullName, "artifacts", "plugins"));
                break;
            }
        if (!string.IsNullOrWhiteSpace(fromEnvironment))
            found.AddRange(fromEnvironment.Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries));
        return found.Select(Path.GetFullPath).Where(Directory.Exists).Distinct().ToList();
    }

    /// <summary>
    /// Plugin folders: each subdirectory holding <c>&lt;FolderName&gt;.dll</c>, directory by directory in the order
    /// given, sorted by name within one. Names may repeat (the loader refuses all but the first).
    /// </summary>
    public static IEnumerable<(string Name, string AssemblyPath)> Discover(IEnumerable<string> directories) =>
        directories.Where(Directory.Exists)
            .SelectMany(d => Directory.EnumerateDirectories(d).Order(StringComparer.Ordinal))
            .Select(folder => (Name: Path.GetFileName(folder), AssemblyPath: Path.Combine(folder, Path.GetFileName(folder) + ".dll")))
            .Where(p => File.Exists(p.AssemblyPath));
}
