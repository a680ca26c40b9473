using System.Text.Json;
using Xunit;

namespace Pipeline.Tests.Tokenize;

/// <summary>One prompt run through A1111's <c>parse_prompt_attention</c>: its pieces, or that it raised.</summary>
public sealed record PromptParserGoldenCase(string Prompt, IReadOnlyList<(string Text, double Weight)>? Pieces, string? Error);

/// <summary>
/// The A1111 parser goldens (tests/reference/prompt-parser/README.md), from <c>$PIPELINE_PROMPT_PARSER_GOLDENS</c>
/// (a JSON file) or the copy in the repository.
/// </summary>
public static class PromptParserGoldens
{
    public const string PathVariable = "PIPELINE_PROMPT_PARSER_GOLDENS";

    static readonly Lazy<IReadOnlyList<PromptParserGoldenCase>> All = new(Load);

    public static string FilePath =>
        Environment.GetEnvironmentVariable(PathVariable) is { Length: > 0 } path
            ? Path.GetFullPath(path)
            : Path.Combine(Goldens.RepositoryPaths.Root, "tests/reference/prompt-parser/a1111_parse_prompt_attention.json");

    public static IReadOnlyList<PromptParserGoldenCase> Cases => All.Value;

    /// <summary>xunit member data: one row per case (its index).</summary>
    public static TheoryData<int> CaseRows()
    {
        var rows = new TheoryData<int>();
        for (int i = 0; i < Cases.Count; i++) rows.Add(i);
        return rows;
    }

    static IReadOnlyList<PromptParserGoldenCase> Load()
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(FilePath));
        return document.RootElement.EnumerateArray().Select(Case).ToArray();
    }

    static PromptParserGoldenCase Case(JsonElement element)
    {
        var prompt = element.GetProperty("prompt").GetString()!;
        if (element.TryGetProperty("error", out var error)) return new(prompt, null, error.GetString());
        var pieces = element.GetProperty("pieces").EnumerateArray()
            .Select(p => (p[0].GetString()!, Weight(p[1])))
            .ToArray();
        return new(prompt, pieces, null);
    }

    /// <summary>A JSON number (Python's shortest round-trip repr, so exact), or "Infinity" / "-Infinity" / "NaN".</summary>
    static double Weight(JsonElement weight) => weight.ValueKind switch
    {
        JsonValueKind.Number => weight.GetDouble(),
        JsonValueKind.String => weight.GetString() switch
        {
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var other => throw new InvalidDataException($"weight '{other}' in {FilePath}"),
        },
        _ => throw new InvalidDataException($"weight {weight} in {FilePath}"),
    };
}
