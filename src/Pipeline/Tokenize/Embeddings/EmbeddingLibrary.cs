using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Pipeline.Tokenize.Embeddings;

/// <summary>
/// The textual-inversion embeddings a prompt may name, by name (the file name without extension, as A1111 and
/// ComfyUI name them). Files are listed when the library is made and read when a prompt first names them; a file
/// that cannot be used (a pickle, a wrong layout) is an error for the prompt that names it, never skipped silently.
/// Immutable and thread-safe.
/// </summary>
public sealed class EmbeddingLibrary
{
    readonly FrozenDictionary<string, Lazy<TextualInversion>> _entries;
    readonly FrozenDictionary<string, string> _paths;
    readonly FrozenDictionary<string, string> _relative;
    readonly Lazy<ImmutableArray<(ImmutableArray<int> Ids, string Name)>> _byIds;

    EmbeddingLibrary(IEnumerable<(string Name, string? Path, Func<TextualInversion> Load)> entries, string? directory)
    {
        var list = entries.ToList();
        var duplicate = list.GroupBy(e => e.Name, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"two embeddings are named '{duplicate.Key}': {string.Join(", ", duplicate.Select(e => e.Path ?? "(in code)"))}");
        _entries = list.ToFrozenDictionary(e => e.Name, e => new Lazy<TextualInversion>(e.Load), StringComparer.Ordinal);
        _paths = list.ToFrozenDictionary(e => e.Name, e => e.Path ?? "(in code)", StringComparer.Ordinal);
        Directory = directory;
        _relative = directory is null ? FrozenDictionary<string, string>.Empty : list
            .Where(e => e.Path is not null)
            .Select(e => (Key: Path.ChangeExtension(Path.GetRelativePath(directory, e.Path!), null).Replace('\\', '/'), e.Name))
            .Where(x => x.Key != x.Name)
            .GroupBy(x => x.Key).Where(g => g.Count() == 1)
            .ToFrozenDictionary(g => g.Key, g => g.Single().Name, StringComparer.Ordinal);
        // A1111 finds an embedding where the CLIP-L ids of its name appear in the prompt's ids, longest name first.
        _byIds = new(() => list
            .Select(e => (Ids: ClipTokenizer.Get(ClipTokenizerVariant.ClipL).Tokenize(e.Name).UntruncatedIds, e.Name))
            .Where(e => e.Ids.Length > 0)
            .OrderByDescending(e => e.Ids.Length).ThenBy(e => e.Name, StringComparer.Ordinal)
            .ToImmutableArray());
    }

    /// <summary>No embeddings.</summary>
    public static EmbeddingLibrary Empty { get; } = new(Array.Empty<(string, string?, Func<TextualInversion>)>(), null);

    /// <summary>The folder the library lists (null when built in code).</summary>
    public string? Directory { get; }

    /// <summary>Every name, sorted.</summary>
    public IReadOnlyList<string> Names => _entries.Keys.OrderBy(n => n, StringComparer.Ordinal).ToList();

    public int Count => _entries.Count;

    /// <summary>A library of embeddings built in code.</summary>
    public static EmbeddingLibrary Of(params TextualInversion[] embeddings) =>
        new(embeddings.Select(e => (e.Name, e.Source, (Func<TextualInversion>)(() => e))), null);

    /// <summary>
    /// The embeddings in <paramref name="directory"/> and its subfolders: <c>.safetensors</c> files, plus pickles
    /// (<c>.pt</c>, <c>.bin</c>) listed by name only so that naming one says why it cannot be used.
    /// </summary>
    public static EmbeddingLibrary FromDirectory(string directory)
    {
        var files = IO.WeightFolder.Files(directory, "embeddings");
        return new EmbeddingLibrary(files.Select(f => (NameOf(f), (string?)f, (Func<TextualInversion>)(() => TextualInversion.Load(f)))), directory);
    }

    /// <summary>The name of the embedding in <paramref name="path"/>: its file name without extension.</summary>
    public static string NameOf(string path) => Path.GetFileNameWithoutExtension(path);

    public bool Contains(string name) => _entries.ContainsKey(name);

    /// <summary>
    /// The name of the embedding <paramref name="nameOrPath"/> refers to: a name, or (as ComfyUI accepts) its path in the
    /// folder without extension, such as <c>sub/style</c>; null when neither.
    /// </summary>
    public string? Resolve(string nameOrPath) =>
        _entries.ContainsKey(nameOrPath) ? nameOrPath : _relative.TryGetValue(nameOrPath, out var name) ? name : null;

    /// <summary>The embedding named <paramref name="name"/>, read on first use; throws naming the valid names when there is none.</summary>
    public TextualInversion Get(string name)
    {
        if (!_entries.TryGetValue(name, out var entry))
            throw new ArgumentException($"no embedding named '{name}'{(Directory is null ? "" : $" in {Directory}")}; " +
                (Count == 0 ? "there are none" : $"valid: {string.Join(", ", Names.Take(50))}{(Count > 50 ? $", … ({Count} in all)" : "")}"));
        var path = _paths[name];
        if (IO.WeightFolder.IsPickle(path))
            throw new ArgumentException(IO.WeightFolder.PickleRefusal("embedding", name, path, "Convert it to .safetensors with 'clip_l' and 'clip_g' tensors."));
        return entry.Value;
    }

    /// <summary>A1111's lookup: the embedding whose name's CLIP-L ids start at <paramref name="offset"/> of <paramref name="ids"/> (longest first).</summary>
    public (string Name, int Length)? FindAt(IReadOnlyList<int> ids, int offset)
    {
        foreach (var (nameIds, name) in _byIds.Value)
        {
            if (offset + nameIds.Length > ids.Count || ids[offset] != nameIds[0]) continue;
            bool match = true;
            for (int k = 1; k < nameIds.Length && match; k++) match = ids[offset + k] == nameIds[k];
            if (match) return (name, nameIds.Length);
        }
        return null;
    }
}
