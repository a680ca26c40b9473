namespace Pipeline.Tests.Goldens;

/// <summary>Locates the repository root (the folder holding Pipeline.sln) and the shared reference data.</summary>
public static class RepositoryPaths
{
    public static string Root { get; } = FindRoot();

    static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Pipeline.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>The folder named by <paramref name="variable"/>, else <paramref name="defaultRelativeToRoot"/> under the repository root.</summary>
    public static string FromEnvironment(string variable, string defaultRelativeToRoot)
    {
        var value = Environment.GetEnvironmentVariable(variable);
        var path = string.IsNullOrWhiteSpace(value) ? Path.Combine(Root, defaultRelativeToRoot) : value;
        return Path.GetFullPath(path);
    }
}
