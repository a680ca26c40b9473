namespace Pipeline.IO;

/// <summary>
/// The weight files of a folder users name by file name (LoRAs, embeddings): <c>.safetensors</c> files and, listed so
/// that naming one says why it is refused, Python pickles; searched in subfolders, in path order.
/// </summary>
public static class WeightFolder
{
    static readonly string[] Pickles = { ".pt", ".ckpt", ".bin", ".pth" };

    /// <summary>Whether <paramref name="path"/> is a Python pickle by its extension.</summary>
    public static bool IsPickle(string path) => Pickles.Contains(Path.GetExtension(path).ToLowerInvariant());

    /// <summary>The files of <paramref name="directory"/>; throws naming <paramref name="what"/> when the folder does not exist.</summary>
    public static IReadOnlyList<string> Files(string directory, string what)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"{what} folder not found: {directory}");
        return Directory.EnumerateFiles(directory, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
            .Where(f => Path.GetExtension(f).Equals(".safetensors", StringComparison.OrdinalIgnoreCase) || IsPickle(f))
            .OrderBy(f => f, StringComparer.Ordinal)
            .ToList();
    }

    /// <summary>Why a pickle named <paramref name="name"/> is refused.</summary>
    public static string PickleRefusal(string what, string name, string path, string convert) =>
        $"{what} '{name}' ({path}) is a Python pickle, which can execute code when loaded; this library never loads them. {convert}";
}
