using Pipeline.IO;
namespace Pipeline.Plugins.Recipes;

/// <summary>
/// The folder a recipe writes into. <see cref="PathFor"/> creates the folder on first use; names must stay inside it.
/// <see cref="WriteAtomically"/> writes a temporary file and renames it, so an interrupted run leaves no half-written file.
/// </summary>
public sealed record RecipeOutput
{
    public RecipeOutput(string folder)
    {
        if (string.IsNullOrWhiteSpace(folder)) throw new ArgumentException("output folder must not be empty", nameof(folder));
        Folder = Path.GetFullPath(folder);
    }

    /// <summary>The absolute folder path.</summary>
    public string Folder { get; }

    /// <summary>The absolute path of <paramref name="name"/> inside <see cref="Folder"/> (subfolders allowed); creates the folders.</summary>
    public string PathFor(string name)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("output name must not be empty", nameof(name));
        if (Path.IsPathRooted(name))
            throw new ArgumentException($"output name '{name}' must be relative to the output folder {Folder}", nameof(name));
        var full = Path.GetFullPath(Path.Combine(Folder, name));
        var root = Folder.EndsWith(Path.DirectorySeparatorChar) ? Folder : Folder + Path.DirectorySeparatorChar;
        if (!full.StartsWith(root, StringComparison.Ordinal) || full.Length == root.Length)
            throw new ArgumentException($"output name '{name}' leaves the output folder {Folder}", nameof(name));
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return full;
    }

    /// <summary>Writes <paramref name="name"/> through <paramref name="write"/> atomically and returns its path.</summary>
    public string WriteAtomically(string name, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var path = PathFor(name);
        AtomicFile.Write(path, write);
        return path;
    }
}
