namespace Pipeline.Cli.Options;

/// <summary>Where images go when <c>--out</c> is not given: <c>outputs/&lt;command&gt;-&lt;seed&gt;.png</c>, never replacing a file.</summary>
public static class OutputPaths
{
    public const string DefaultFolder = "outputs";

    /// <summary>The file of each image of a batch: the path itself for one image, NAME-0.png, NAME-1.png, … otherwise.</summary>
    public static IReadOnlyList<string> ForBatch(string path, int batch) => batch == 1
        ? new[] { path }
        : Enumerable.Range(0, batch).Select(i => Path.ChangeExtension(path, null) + $"-{i}" + Path.GetExtension(path)).ToList();

    public static string Default(string command, long seed)
    {
        var stem = Path.Combine(DefaultFolder, $"{command}-{seed}");
        var path = stem + ".png";
        for (int n = 1; File.Exists(path) || File.Exists(Path.ChangeExtension(path, null) + "-0.png"); n++) path = $"{stem}-{n:D2}.png";
        return path;
    }
}
