using System.Collections.Frozen;

namespace Pipeline.Adapters;

/// <summary>
/// The LoRA files of a folder (and its subfolders) by name — the file name without extension, as A1111's
/// <c>&lt;lora:name&gt;</c> names them. Pickles (.pt, .ckpt, .bin) are listed so that naming one says why it is refused.
/// </summary>
public sealed class AdapterFolder
{
    readonly FrozenDictionary<string, string> _paths;

    AdapterFolder(string directory, FrozenDictionary<string, string> paths) => (Directory, _paths) = (directory, paths);

    public string Directory { get; }

    public IReadOnlyList<string> Names => _paths.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();

    public static AdapterFolder Of(string directory)
    {
        var files = IO.WeightFolder.Files(directory, "LoRA");
        var duplicate = files.GroupBy(Path.GetFileNameWithoutExtension).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"two LoRA files are named '{duplicate.Key}': {string.Join(", ", duplicate)}");
        return new AdapterFolder(directory, files.ToFrozenDictionary(f => Path.GetFileNameWithoutExtension(f), f => f, StringComparer.Ordinal));
    }

    /// <summary>The file of <paramref name="name"/>; throws naming the valid names when there is none, or why a pickle is refused.</summary>
    public string PathOf(string name)
    {
        if (!_paths.TryGetValue(name, out var path))
            throw new ArgumentException($"no LoRA named '{name}' in {Directory}; " +
                (_paths.Count == 0 ? "it holds none" : $"valid: {string.Join(", ", Names.Take(50))}{(_paths.Count > 50 ? ", …" : "")}"));
        if (IO.WeightFolder.IsPickle(path))
            throw new ArgumentException(IO.WeightFolder.PickleRefusal("LoRA", name, path, "Convert it to .safetensors."));
        return path;
    }
}
