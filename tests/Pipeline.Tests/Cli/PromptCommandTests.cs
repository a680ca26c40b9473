using System.Text.Json;
using Pipeline.Cli;
using Pipeline.Cli.Commands;
using Pipeline.Tests.Tokenize;
using Xunit;

namespace Pipeline.Tests.Cli;

/// <summary><c>sdxl prompt</c>: the fixed JSON schema, from an argument and as JSON lines from standard input.</summary>
public sealed class PromptCommandTests
{
    [Fact]
    public void Json_of_one_prompt_has_the_pieces_as_A1111_returns_them()
    {
        var (code, output) = CliHarness.Sdxl("prompt", "an (important) word BREAK [x]", "--json");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.StartsWith(
            "{\"prompt\": \"an (important) word BREAK [x]\", \"pieces\": [[\"an \", 1], [\"important\", 1.1], [\" word\", 1], [\"BREAK\", -1], [\"\", 1], [\"x\", 0.9090909090909091]], \"style\": \"a1111\"",
            output.Trim());
    }

    [Fact]
    public void A_prompt_A1111_raises_on_answers_an_error_field_and_exit_1()
    {
        var (code, output) = CliHarness.Sdxl("prompt", "(a:1.2.3)", "--json");
        Assert.Equal(ExitCodes.Failure, code);
        using var json = JsonDocument.Parse(output);
        Assert.Equal("(a:1.2.3)", json.RootElement.GetProperty("prompt").GetString());
        Assert.Contains("not a number", json.RootElement.GetProperty("error").GetString());
        Assert.False(json.RootElement.TryGetProperty("pieces", out _));
    }

    [Fact]
    public void Without_json_it_prints_one_weight_and_text_line_per_piece()
    {
        var (code, output) = CliHarness.Sdxl("prompt", "a (b:1.5)");
        Assert.Equal(ExitCodes.Ok, code);
        Assert.Equal(new[] { "1\ta ", "1.5\tb", "clip_l chunk 1/1: 2 tokens, weights 1.5", "clip_g chunk 1/1: 2 tokens, weights 1.5" },
            output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd('\r')));
    }

    /// <summary>Every golden prompt through standard-input mode: one line each, in order, equal to A1111's result after a JSON round trip.</summary>
    [Fact]
    public void Standard_input_mode_reproduces_every_golden()
    {
        var cases = PromptParserGoldens.Cases;
        var input = new StringReader(string.Join("\n", cases.Select(c => JsonSerializer.Serialize(c.Prompt))) + "\n");
        var output = new StringWriter();
        int code = PromptCommand.AnswerLines(input, output);
        Assert.Equal(ExitCodes.Failure, code);   // the goldens include prompts A1111 raises on
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(cases.Count, lines.Length);
        for (int i = 0; i < cases.Count; i++)
        {
            using var json = JsonDocument.Parse(lines[i]);
            var root = json.RootElement;
            Assert.Equal(cases[i].Prompt, root.GetProperty("prompt").GetString());
            if (cases[i].Error is not null)
            {
                Assert.True(root.TryGetProperty("error", out _), lines[i]);
                continue;
            }
            var pieces = root.GetProperty("pieces").EnumerateArray().ToArray();
            Assert.Equal(cases[i].Pieces!.Count, pieces.Length);
            for (int k = 0; k < pieces.Length; k++)
            {
                Assert.Equal(cases[i].Pieces![k].Text, pieces[k][0].GetString());
                var expected = cases[i].Pieces![k].Weight;
                var weight = pieces[k][1];
                if (double.IsFinite(expected)) Assert.Equal(expected, weight.GetDouble());
                else Assert.Equal(double.IsNaN(expected) ? "NaN" : expected > 0 ? "Infinity" : "-Infinity", weight.GetString());
            }
        }
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("")]
    [InlineData("42")]
    [InlineData("[\"a\"]")]
    [InlineData("\"unterminated")]
    public void A_line_that_is_not_a_JSON_string_answers_an_error_line(string line)
    {
        var output = new StringWriter();
        int code = PromptCommand.AnswerLines(new StringReader(line + "\n\"(ok)\"\n"), output);
        Assert.Equal(ExitCodes.Failure, code);
        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(2, lines.Length);
        Assert.Equal("{\"prompt\": null, \"error\": \"line 1 is not a JSON string\"}", lines[0]);
        Assert.StartsWith("{\"prompt\": \"(ok)\", \"pieces\": [[\"ok\", 1.1]], ", lines[1]);
    }

    [Fact]
    public void Unpaired_surrogates_and_non_ASCII_are_escaped_and_read_back()
    {
        var output = new StringWriter();
        PromptCommand.AnswerLines(new StringReader("\"猫 (😀)\"\n"), output);
        Assert.StartsWith("{\"prompt\": \"\\u732b (\\ud83d\\ude00)\", \"pieces\": [[\"\\u732b \", 1], [\"\\ud83d\\ude00\", 1.1]], ", output.ToString().Trim());
        Assert.True(output.ToString().All(c => c < 128));
        Assert.Equal("\"\\ud800x\"", Pipeline.Cli.Rendering.AsciiJson.String("\ud800x"));
    }
}
