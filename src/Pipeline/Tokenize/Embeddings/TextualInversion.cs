using System.Collections.Immutable;
using Pipeline.Checkpoints;
using static TorchSharp.torch;

namespace Pipeline.Tokenize.Embeddings;

/// <summary>
/// An SDXL textual-inversion embedding: <see cref="VectorCount"/> token embeddings for each text encoder
/// (<c>clip_l</c> [n, 768] and <c>clip_g</c> [n, 1280] in the released files), which replace the embeddings of the
/// placeholder tokens wherever a prompt names it.
/// </summary>
public sealed record TextualInversion
{
    /// <summary>The key of the CLIP-L vectors in an SDXL embedding file.</summary>
    public const string ClipLKey = "clip_l";

    /// <summary>The key of the OpenCLIP bigG vectors in an SDXL embedding file.</summary>
    public const string ClipGKey = "clip_g";

    /// <summary>Most vectors an embedding file may have (released ones have 1–75; A1111's chunking takes at most 75).</summary>
    public const int MaxVectors = 1024;

    public TextualInversion(string name, ImmutableArray<ImmutableArray<float>> clipL, ImmutableArray<ImmutableArray<float>> clipG, string? source = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
        Source = source;
        var problems = new List<string>();
        if (clipL.IsDefaultOrEmpty) problems.Add($"{ClipLKey} has no vectors");
        if (clipG.IsDefaultOrEmpty) problems.Add($"{ClipGKey} has no vectors");
        if (!clipL.IsDefaultOrEmpty && !clipG.IsDefaultOrEmpty && clipL.Length != clipG.Length)
            problems.Add($"{ClipLKey} has {clipL.Length} vectors but {ClipGKey} has {clipG.Length}; both encoders need one per placeholder token");
        if (!clipL.IsDefaultOrEmpty && clipL.Length > MaxVectors) problems.Add($"{clipL.Length} vectors; at most {MaxVectors} are read");
        if (!clipL.IsDefaultOrEmpty && clipL.Select(v => v.Length).Distinct().Count() != 1) problems.Add($"{ClipLKey} rows differ in width");
        if (!clipG.IsDefaultOrEmpty && clipG.Select(v => v.Length).Distinct().Count() != 1) problems.Add($"{ClipGKey} rows differ in width");
        if (clipL.Concat(clipG).Any(v => v.Any(x => !float.IsFinite(x)))) problems.Add("vectors must be finite");
        if (problems.Count > 0) throw new ArgumentException($"embedding '{name}'{(source is null ? "" : $" ({source})")}: {string.Join("; ", problems)}");
        ClipL = clipL;
        ClipG = clipG;
    }

    public string Name { get; }

    /// <summary>The file it was read from (null when built in code).</summary>
    public string? Source { get; }

    /// <summary>CLIP-L vectors, one per placeholder token.</summary>
    public ImmutableArray<ImmutableArray<float>> ClipL { get; }

    /// <summary>OpenCLIP bigG vectors, one per placeholder token.</summary>
    public ImmutableArray<ImmutableArray<float>> ClipG { get; }

    /// <summary>Placeholder tokens the embedding takes in a prompt.</summary>
    public int VectorCount => ClipL.Length;

    /// <summary>Width of the CLIP-L vectors (768 for SDXL).</summary>
    public int ClipLWidth => ClipL[0].Length;

    /// <summary>Width of the OpenCLIP vectors (1280 for SDXL).</summary>
    public int ClipGWidth => ClipG[0].Length;

    /// <summary>
    /// Reads an SDXL embedding from a .safetensors file with <c>clip_l</c> [n, w] and <c>clip_g</c> [n, w] tensors.
    /// Pickled files (.pt, .bin) are refused: they can execute code.
    /// </summary>
    public static TextualInversion Load(string path, string? name = null)
    {
        name ??= EmbeddingLibrary.NameOf(path);
        using var file = SafeTensorsFile.Open(path);
        var keys = file.Entries.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (!file.Contains(ClipLKey) || !file.Contains(ClipGKey))
        {
            string what = keys.Count == 1 || keys.Contains("emb_params") || keys.Contains("string_to_param")
                ? "this looks like an SD 1.x/2.x embedding (one tensor); SDXL needs one for each text encoder"
                : $"missing {string.Join(" and ", new[] { ClipLKey, ClipGKey }.Where(k => !file.Contains(k)))}";
            throw new ArgumentException($"embedding '{name}' ({path}): {what}; an SDXL embedding file holds '{ClipLKey}' [n, 768] and '{ClipGKey}' [n, 1280] (found: {string.Join(", ", keys)})");
        }
        return new TextualInversion(name, Rows(file, ClipLKey, name, path), Rows(file, ClipGKey, name, path), path);
    }

    static ImmutableArray<ImmutableArray<float>> Rows(SafeTensorsFile file, string key, string name, string path)
    {
        var entry = file.Entry(key);
        if (entry.Shape.Length is not (1 or 2))
            throw new ArgumentException($"embedding '{name}' ({path}): '{key}' has shape [{string.Join(", ", entry.Shape)}]; expected [n, width]");
        if (entry.Shape.Any(d => d < 1) || entry.ElementCount > MaxVectors * 16384L)
            throw new ArgumentException($"embedding '{name}' ({path}): '{key}' has shape [{string.Join(", ", entry.Shape)}], not an embedding's size");
        using var t = file.Read(key, ScalarType.Float32);
        var values = t.data<float>().ToArray();
        int width = (int)entry.Shape[^1];
        int rows = values.Length / width;
        return Enumerable.Range(0, rows).Select(r => ImmutableArray.Create(values, r * width, width)).ToImmutableArray();
    }
}
