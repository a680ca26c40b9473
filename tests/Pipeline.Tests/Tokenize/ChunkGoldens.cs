using System.Text.Json;
using Pipeline.Checkpoints;
using Pipeline.Tokenize.Embeddings;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Tokenize;

/// <summary>One golden position: a token id, or row <c>Vector</c> of embedding <c>Embedding</c>; with its weight.</summary>
public sealed record GoldenToken(int Id, string? Embedding, int Vector, double Weight);

/// <summary>One chunk of a golden: 77 positions; A1111's fixes as (offset, name).</summary>
public sealed record GoldenChunk(IReadOnlyList<GoldenToken> Tokens, IReadOnlyList<(int Offset, string Name)> Fixes);

/// <summary>One prompt of a chunk golden: its chunks per encoder, or the error the original raised.</summary>
public sealed record ChunkGoldenCase(string Prompt, IReadOnlyList<GoldenChunk>? ClipL, IReadOnlyList<GoldenChunk>? ClipG,
    int? ClipLTokenCount, int? ClipGTokenCount, IReadOnlyList<string> Warnings, string? Error, IReadOnlyDictionary<string, int> Embeddings);

/// <summary>
/// The A1111 and ComfyUI SDXL chunk goldens and the ComfyUI weight goldens (tests/reference/prompt-parser/README.md),
/// from <c>$PIPELINE_PROMPT_PARSER_GOLDENS</c>'s folder or the copy in the repository.
/// </summary>
public static class ChunkGoldens
{
    public static string Folder => Path.GetDirectoryName(PromptParserGoldens.FilePath)!;

    static readonly Lazy<IReadOnlyList<ChunkGoldenCase>> A1111 = new(() => Load("a1111_sdxl_chunks.json", a1111: true));
    static readonly Lazy<IReadOnlyList<ChunkGoldenCase>> Comfy = new(() => Load("comfy_sdxl_chunks.json", a1111: false));
    static readonly Lazy<IReadOnlyList<PromptParserGoldenCase>> ComfyWeights = new(LoadWeights);

    public static IReadOnlyList<ChunkGoldenCase> A1111Cases => A1111.Value;
    public static IReadOnlyList<ChunkGoldenCase> ComfyCases => Comfy.Value;
    public static IReadOnlyList<PromptParserGoldenCase> ComfyWeightCases => ComfyWeights.Value;

    public static TheoryData<int> Rows(int count)
    {
        var rows = new TheoryData<int>();
        for (int i = 0; i < count; i++) rows.Add(i);
        return rows;
    }

    public static TheoryData<int> A1111Rows() => Rows(A1111Cases.Count);
    public static TheoryData<int> ComfyRows() => Rows(ComfyCases.Count);
    public static TheoryData<int> ComfyWeightRows() => Rows(ComfyWeightCases.Count);

    /// <summary>
    /// A folder of SDXL embedding files with the names and vector counts the goldens were made with (values are
    /// irrelevant to chunking), read through <see cref="EmbeddingLibrary.FromDirectory"/>. Names with a folder
    /// ("sub/deep3") are written in that folder.
    /// </summary>
    public static EmbeddingLibrary Library(IReadOnlyDictionary<string, int> embeddings, string tag)
    {
        var dir = Path.Combine(Path.GetTempPath(), $"pipeline-tests-embeddings-{tag}-{Environment.ProcessId}");
        if (!Directory.Exists(dir))
        {
            var staging = dir + ".tmp-" + Guid.NewGuid().ToString("N");
            foreach (var (name, count) in embeddings)
            {
                var path = Path.Combine(staging, name + ".safetensors");
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                using var l = ones(count, 768);
                using var g = ones(count, 1280);
                SafeTensorsWriter.Write(path, new Dictionary<string, Tensor> { ["clip_l"] = l, ["clip_g"] = g });
            }
            try { Directory.Move(staging, dir); }
            catch (IOException) { Directory.Delete(staging, recursive: true); }
        }
        return EmbeddingLibrary.FromDirectory(dir);
    }

    static IReadOnlyList<ChunkGoldenCase> Load(string file, bool a1111)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, file)));
        return document.RootElement.EnumerateArray().Select(e => Case(e, a1111)).ToArray();
    }

    static ChunkGoldenCase Case(JsonElement e, bool a1111)
    {
        var prompt = e.GetProperty("prompt").GetString()!;
        var embeddings = e.GetProperty("embeddings").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        var warnings = e.TryGetProperty("warnings", out var w) ? w.EnumerateArray().Select(x => x.GetString()!).ToArray() : Array.Empty<string>();
        if (e.TryGetProperty("error", out var error)) return new(prompt, null, null, null, null, warnings, error.GetString(), embeddings);
        if (a1111)
        {
            var l = e.GetProperty("clip_l");
            var g = e.GetProperty("clip_g");
            return new(prompt, A1111Chunks(l), A1111Chunks(g), l.GetProperty("token_count").GetInt32(), g.GetProperty("token_count").GetInt32(),
                warnings, null, embeddings);
        }
        return new(prompt, ComfyChunks(e.GetProperty("clip_l")), ComfyChunks(e.GetProperty("clip_g")), null, null, warnings, null, embeddings);
    }

    static IReadOnlyList<GoldenChunk> A1111Chunks(JsonElement encoder) => encoder.GetProperty("chunks").EnumerateArray().Select(c =>
    {
        var ids = c.GetProperty("tokens").EnumerateArray().Select(t => t.GetInt32()).ToArray();
        var weights = c.GetProperty("multipliers").EnumerateArray().Select(Number).ToArray();
        var fixes = c.GetProperty("fixes").EnumerateArray().Select(f => (f[0].GetInt32(), f[1].GetString()!)).ToArray();
        return new GoldenChunk(ids.Zip(weights, (id, wt) => new GoldenToken(id, null, 0, wt)).ToArray(), fixes);
    }).ToArray();

    static IReadOnlyList<GoldenChunk> ComfyChunks(JsonElement encoder) => encoder.EnumerateArray().Select(c =>
        new GoldenChunk(c.EnumerateArray().Select(p => p[0].ValueKind == JsonValueKind.Number
            ? new GoldenToken(p[0].GetInt32(), null, 0, Number(p[1]))
            : new GoldenToken(-1, p[0].GetProperty("embedding").GetString(), p[0].GetProperty("vector").GetInt32(), Number(p[1]))).ToArray(),
            Array.Empty<(int, string)>())).ToArray();

    /// <summary>A JSON number, or Python's non-finite spellings "Infinity", "-Infinity", "NaN".</summary>
    static double Number(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDouble() : e.GetString() switch
    {
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        "NaN" => double.NaN,
        var other => throw new InvalidDataException($"weight '{other}' in {Folder}"),
    };

    static IReadOnlyList<PromptParserGoldenCase> LoadWeights()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Folder, "comfy_token_weights.json")));
        return document.RootElement.EnumerateArray().Select(e =>
        {
            var prompt = e.GetProperty("prompt").GetString()!;
            if (e.TryGetProperty("error", out var error)) return new PromptParserGoldenCase(prompt, null, error.GetString());
            return new PromptParserGoldenCase(prompt, e.GetProperty("pieces").EnumerateArray().Select(p => (p[0].GetString()!, Number(p[1]))).ToArray(), null);
        }).ToArray();
    }
}
