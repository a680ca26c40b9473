using Pipeline.IO;
using System.Security.Cryptography;
using System.Text.Json;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// Compiled recipes on disk, one folder per cache key: <c>recipe.dll</c>, <c>recipe.pdb</c> and <c>entry.json</c>
/// (the entry point's names, the key the entry was compiled for and the SHA-256 of the assembly and PDB). A folder
/// is assembled under a temporary name and renamed into place in one step, so a reader sees a complete entry or
/// none, and of two processes racing to store the same key one wins and the other discards its copy.
/// <para>
/// An entry is verified before it is used: it must be a folder, its <c>entry.json</c> must name this key and its
/// files must hash to what <c>entry.json</c> records. Anything else (another recipe's dll copied in, a truncated
/// file, a plain file where the folder should be) is removed and <see cref="TryRead"/> says why, so the caller can
/// recompile. This guards against accidents, not against someone who can write the cache (they can rewrite the
/// hashes too): the cache is as trusted as the recipes themselves.
/// </para>
/// </summary>
sealed class RecipeCache(string directory)
{
    const string AssemblyFile = "recipe.dll";
    const string PdbFile = "recipe.pdb";
    const string EntryFile = "entry.json";

    sealed record Entry(string EntryType, string EntryMethod, string Format, string Key, string AssemblySha256, string PdbSha256);

    public string Directory { get; } = directory;

    public string PathOf(string key) => Path.Combine(Directory, key);

    /// <summary>
    /// The verified artifacts for <paramref name="key"/>, or null. <paramref name="discarded"/> is set when an entry
    /// was there but failed verification (it has been removed); it stays null when there simply was no entry.
    /// </summary>
    public RecipeArtifacts? TryRead(string key, out string? discarded)
    {
        discarded = null;
        var folder = PathOf(key);
        if (File.Exists(folder))
        {
            discarded = "is a file, not a cache folder";
            TryDeleteFile(folder);
            return null;
        }
        var entryPath = Path.Combine(folder, EntryFile);
        if (!File.Exists(entryPath)) return null;
        try
        {
            var entry = JsonSerializer.Deserialize<Entry>(File.ReadAllText(entryPath));
            byte[]? assembly = null, pdb = null;
            if (entry is null || entry.Format != RecipeCacheKey.FormatVersion) discarded = "has another cache format";
            else if (entry.Key != key) discarded = $"holds the compilation of another recipe ({Short(entry.Key)})";
            else if (Sha256(assembly = File.ReadAllBytes(Path.Combine(folder, AssemblyFile))) != entry.AssemblySha256)
                discarded = "has a recipe.dll that does not match its recorded hash";
            else if (Sha256(pdb = File.ReadAllBytes(Path.Combine(folder, PdbFile))) != entry.PdbSha256)
                discarded = "has a recipe.pdb that does not match its recorded hash";
            if (discarded is null) return new RecipeArtifacts(assembly!, pdb!, entry!.EntryType, entry.EntryMethod);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException or NotSupportedException)
        {
            discarded = $"could not be read ({e.Message})";
        }
        Evict(key);
        return null;
    }

    public void Store(string key, RecipeArtifacts artifacts)
    {
        System.IO.Directory.CreateDirectory(Directory);
        var temp = Path.Combine(Directory, $".{key}.{Guid.NewGuid():N}.tmp");
        try
        {
            System.IO.Directory.CreateDirectory(temp);
            AtomicFile.WriteBytes(Path.Combine(temp, AssemblyFile), artifacts.Assembly);
            AtomicFile.WriteBytes(Path.Combine(temp, PdbFile), artifacts.Pdb);
            var entry = new Entry(artifacts.EntryType, artifacts.EntryMethod, RecipeCacheKey.FormatVersion, key,
                Sha256(artifacts.Assembly), Sha256(artifacts.Pdb));
            AtomicFile.Write(Path.Combine(temp, EntryFile), s => JsonSerializer.Serialize(s, entry));
            Evict(key, onlyIfIncomplete: true);
            System.IO.Directory.Move(temp, PathOf(key));
        }
        catch (IOException) when (File.Exists(Path.Combine(PathOf(key), EntryFile)))
        {
            // Another process stored the same key first; its entry is equivalent.
        }
        finally
        {
            TryDeleteFolder(temp);
        }
    }

    /// <summary>Removes the entry for <paramref name="key"/> (or only a leftover without its entry file).</summary>
    public void Evict(string key, bool onlyIfIncomplete = false)
    {
        var folder = PathOf(key);
        if (File.Exists(folder))
        {
            TryDeleteFile(folder);
            return;
        }
        if (!System.IO.Directory.Exists(folder)) return;
        if (onlyIfIncomplete && File.Exists(Path.Combine(folder, EntryFile))) return;
        // Rename first so a concurrent reader never sees a half-deleted entry.
        var doomed = Path.Combine(Directory, $".{key}.{Guid.NewGuid():N}.old");
        try { System.IO.Directory.Move(folder, doomed); }
        catch (IOException) { return; }
        TryDeleteFolder(doomed);
    }

    static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    static string Short(string key) => key.Length > 12 ? key[..12] + "…" : key;

    static void TryDeleteFile(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    static void TryDeleteFolder(string path)
    {
        try { if (System.IO.Directory.Exists(path)) System.IO.Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
