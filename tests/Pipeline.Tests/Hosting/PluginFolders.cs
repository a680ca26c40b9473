using Pipeline.Tests.Goldens;

namespace Pipeline.Tests.Hosting;

/// <summary>A temporary plugin directory assembled from the fixture plugins the test project builds.</summary>
sealed class PluginFolders : IDisposable
{
    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "sdxl-plugins-" + Guid.NewGuid().ToString("N"));

    public PluginFolders(params string[] fixtures)
    {
        System.IO.Directory.CreateDirectory(Directory);
        foreach (var f in fixtures) Add(f);
    }

    /// <summary>Copies fixture <paramref name="variant"/> (e.g. "HotV1", "Fixture.Throws") in as its plugin folder.</summary>
    public void Add(string variant)
    {
        var source = Path.Combine(RepositoryPaths.Root, "artifacts", "test-plugins", variant);
        var folder = System.IO.Directory.GetDirectories(source).Single();
        CopyFolder(folder, Path.Combine(Directory, Path.GetFileName(folder)));
    }

    public static void CopyFolder(string from, string to)
    {
        System.IO.Directory.CreateDirectory(to);
        foreach (var file in System.IO.Directory.GetFiles(from))
        {
            // Write-then-rename, as a build would replace files.
            var temp = Path.Combine(to, "." + Path.GetFileName(file) + ".tmp");
            File.Copy(file, temp, overwrite: true);
            File.Move(temp, Path.Combine(to, Path.GetFileName(file)), overwrite: true);
        }
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
