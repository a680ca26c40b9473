using Pipeline.Tokenize.Prompts;
using Xunit;

namespace Pipeline.Tests.Tokenize;

/// <summary>Every A1111 parser golden: the same pieces with bit-identical weights, or an error where A1111 raised.</summary>
public class PromptAttentionGoldenTests
{
    [Fact]
    public void The_golden_set_is_present_and_complete()
    {
        Assert.Equal(780, PromptParserGoldens.Cases.Count);
        Assert.Equal(10, PromptParserGoldens.Cases.Count(c => c.Error is not null));
    }

    [Theory]
    [MemberData(nameof(PromptParserGoldens.CaseRows), MemberType = typeof(PromptParserGoldens))]
    public void Matches_A1111(int index)
    {
        var golden = PromptParserGoldens.Cases[index];
        var parse = PromptAttention.Parse(golden.Prompt);
        if (golden.Error is not null)
        {
            Assert.False(parse.Succeeded, $"A1111 raised ({golden.Error}) on {Show(golden.Prompt)}; we parsed it");
            Assert.Empty(parse.Pieces);
            Assert.False(string.IsNullOrWhiteSpace(parse.Error));
            return;
        }
        Assert.True(parse.Succeeded, $"{Show(golden.Prompt)}: {parse.Error}");
        var expected = golden.Pieces!;
        Assert.True(expected.Count == parse.Pieces.Count,
            $"{Show(golden.Prompt)}: {expected.Count} pieces expected, got {parse.Pieces.Count}: {Show(parse.Pieces)}");
        for (int k = 0; k < expected.Count; k++)
        {
            Assert.Equal(expected[k].Text, parse.Pieces[k].Text);
            Assert.True(SameDouble(expected[k].Weight, parse.Pieces[k].Weight),
                $"{Show(golden.Prompt)} piece {k}: weight {expected[k].Weight:R} expected, got {parse.Pieces[k].Weight:R}");
        }
    }

    /// <summary>Bit-identical, except that any NaN equals any NaN.</summary>
    static bool SameDouble(double a, double b) =>
        double.IsNaN(a) ? double.IsNaN(b) : BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b);

    static string Show(string prompt) => System.Text.Json.JsonSerializer.Serialize(prompt);

    static string Show(IReadOnlyList<(string Text, double Weight)> pieces) =>
        string.Join(", ", pieces.Select(p => $"[{Show(p.Text)}, {p.Weight:R}]"));
}
