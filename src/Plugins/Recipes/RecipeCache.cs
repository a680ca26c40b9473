using Pipeline.IO;
using System.Text.Json;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// Compiled recipes on disk, one folder per cache key: <c>recipe.dll</c>, <c>recipe.pdb</c> and <c>entry.json</c>
/// (the entry point's names). A folder is assembled under a temporary name and renamed into place in one step,
/// so a reader sees a complete entry or none, and of two processes racing to store the same key one wins and the
/// other discards its copy. An entry that cannot be read is removed and recompiled.
/// </summary>
sealed class RecipeCache(string directory)
{
    const string AssemblyFile = "recipe.dll";
    const string PdbFile = "recipe.pdb";
    const string EntryFile = "entry.json";

    sealed record Entry(string EntryType, string EntryMethod, string Format);

    public string Directory { get; } = directory;

    public string PathOf(string key) => Path.Combine(Directory, key);

    public RecipeArtifacts? TryRead(string key)
    {
        var folder = PathOf(key);
        var entryPath = Path.Combine(folder, EntryFile);
        if (!File.Exists(entryPath)) return null;
        try
        {
            var entry = JsonSerializer.Deserialize<Entry>(File.ReadAllText(entryPath));
            if (entry is null || entry.Format != RecipeCacheKey.FormatVersion) return null;
            return new RecipeArtifacts(
                File.ReadAllBytes(Path.Combine(folder, AssemblyFile)),
                File.ReadAllBytes(Path.Combine(folder, PdbFile)),
                entry.EntryType, entry.EntryMethod);
        }
        catch (Exception e) when (e is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
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
            AtomicFile.Write(Path.Combine(temp, EntryFile), s =>
                JsonSerializer.Serialize(s, new Entry(artifacts.EntryType, artifacts.EntryMethod, RecipeCacheKey.FormatVersion)));
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
        if (!System.IO.Directory.Exists(folder)) return;
        if (onlyIfIncomplete && File.Exists(Path.Combine(folder, EntryFile))) return;
        // Rename first so a concurrent reader never sees a half-deleted entry.
        var doomed = Path.Combine(Directory, $".{key}.{Guid.NewGuid():N}.old");
        try { System.IO.Directory.Move(folder, doomed); }
        catch (IOException) { return; }
        TryDeleteFolder(doomed);
    }

    static void TryDeleteFolder(string path)
    {
        try { if (System.IO.Directory.Exists(path)) System.IO.Directory.Delete(path, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
