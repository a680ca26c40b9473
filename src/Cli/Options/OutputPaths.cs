namespace Pipeline.Cli.Options;

/// <summary>Where images go when <c>--out</c> is not given: <c>outputs/&lt;command&gt;-&lt;seed&gt;.png</c>, never replacing a file.</summary>
public static class OutputPaths
{
    public const string DefaultFolder = "outputs";

    public static string Default(string command, long seed)
    {
        var stem = Path.Combine(DefaultFolder, $"{command}-{seed}");
        var path = stem + ".png";
        for (int n = 1; File.Exists(path) || File.Exists(Path.ChangeExtension(path, null) + "-0.png"); n++) path = $"{stem}-{n:D2}.png";
        return path;
    }
}
