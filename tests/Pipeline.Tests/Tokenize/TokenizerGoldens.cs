using Xunit;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Pipeline.Tests.Tokenize;

/// <summary>One prompt of <c>tokenizer_goldens.json</c> (schema: tests/reference/clip/README.md).</summary>
public sealed record TokenizerGoldenCase(
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("cleaned")] string Cleaned,
    [property: JsonPropertyName("pretokens")] string[] Pretokens,
    [property: JsonPropertyName("num_ids")] int NumIds,
    [property: JsonPropertyName("truncated")] bool Truncated,
    [property: JsonPropertyName("ids")] int[] Ids,
    [property: JsonPropertyName("ids_hf")] int[] IdsHf,
    [property: JsonPropertyName("hf_differs_from_openai")] bool HfDiffersFromOpenai,
    [property: JsonPropertyName("ids_open_clip")] int[] IdsOpenClip,
    [property: JsonPropertyName("open_clip_differs_from_openai")] bool OpenClipDiffersFromOpenai,
    [property: JsonPropertyName("hf_clip_77")] int[] HfClip77,
    [property: JsonPropertyName("open_clip_77")] int[] OpenClip77);

sealed record TokenizerGoldenFile(
    [property: JsonPropertyName("schema_version")] int SchemaVersion,
    [property: JsonPropertyName("context_length")] int ContextLength,
    [property: JsonPropertyName("count")] int Count,
    [property: JsonPropertyName("cases")] TokenizerGoldenCase[] Cases);

/// <summary>
/// The tokenizer goldens, read from <c>$PIPELINE_TOKENIZER_GOLDENS</c> or, by default,
/// <c>tests/reference/clip/tokenizer_goldens.json</c> in the repository.
/// </summary>
public static class TokenizerGoldens
{
    public const string PathVariable = "PIPELINE_TOKENIZER_GOLDENS";

    static readonly Lazy<TokenizerGoldenFile> File = new(Load);

    public static string FilePath =>
        Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } path
            ? Path.GetFullPath(path)
            : Path.Combine(ReferenceFolder, "tokenizer_goldens.json");

    /// <summary>The reference vocab.json and merges.txt: <c>$PIPELINE_CLIP_REFERENCE</c>, else tests/reference/clip in the repository.</summary>
    public static string ReferenceFolder => Goldens.RepositoryPaths.FromEnvironment("PIPELINE_CLIP_REFERENCE", "tests/reference/clip");

    public static IReadOnlyList<TokenizerGoldenCase> Cases => File.Value.Cases;

    public static int DeclaredCount => File.Value.Count;

    public static int ContextLength => File.Value.ContextLength;

    /// <summary>xunit member data: one row per case, (index, name).</summary>
    public static TheoryData<int, string> CaseRows()
    {
        var rows = new TheoryData<int, string>();
        for (int i = 0; i < Cases.Count; i++) rows.Add(i, Cases[i].Name);
        return rows;
    }

    /// <summary>The folder above the test binaries that holds Pipeline.sln.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (System.IO.File.Exists(Path.Combine(dir.FullName, "Pipeline.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No Pipeline.sln above {AppContext.BaseDirectory}.");
    }

    static TokenizerGoldenFile Load()
    {
        string path = FilePath;
        if (!System.IO.File.Exists(path))
            throw new FileNotFoundException($"Tokenizer goldens not found at {path}. Set {PathVariable} to a goldens file.", path);
        return JsonSerializer.Deserialize<TokenizerGoldenFile>(System.IO.File.ReadAllText(path))
            ?? throw new InvalidDataException($"{path} holds no goldens.");
    }
}
