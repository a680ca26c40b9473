using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Pipeline.Cli.Rendering;
using Pipeline.Tokenize.Prompts;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>sdxl prompt ["text"] [--json]</c>: how a prompt parses in the A1111 attention syntax, without loading a model.
/// With no text it reads prompts from standard input, one JSON string per line, and writes one JSON object per line.
/// </summary>
/// <remarks>
/// Schema (fixed; other tools read it): <c>{"prompt": "…", "pieces": [["text", weight], …]}</c> with the pieces exactly
/// as A1111's <c>parse_prompt_attention</c> returns them, or <c>{"prompt": "…", "error": "…"}</c> where A1111 raises.
/// A line that is not a JSON string gives <c>{"prompt": null, "error": "…"}</c>. Strings are ASCII-escaped; weights
/// are shortest round-trip numbers (non-finite ones: <c>"Infinity"</c>, <c>"-Infinity"</c>, <c>"NaN"</c>).
/// Exit code 0 when every prompt parsed, 1 when any answered with an error.
/// </remarks>
public sealed class PromptCommand : Command<PromptCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[prompt]")]
        [Description("The prompt to parse (default: read prompts from standard input, one JSON string per line, and answer one JSON object per line).")]
        public string? Prompt { get; init; }

        [CommandOption("--json")]
        [Description("Print {\"prompt\": …, \"pieces\": [[[[text, weight]], …]]} or {\"prompt\": …, \"error\": …} (default: one 'weight<TAB>text' line per piece; standard-input mode always writes JSON).")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (settings.Prompt is null) return AnswerLines(Console.In, Console.Out, cancellation);
        var parse = PromptAttention.Parse(settings.Prompt);
        if (settings.Json)
        {
            Console.WriteLine(Describe(settings.Prompt, parse));
        }
        else if (parse.Succeeded)
        {
            foreach (var (text, weight) in parse.Pieces)
                Console.WriteLine($"{weight.ToString("R", CultureInfo.InvariantCulture)}\t{TerminalText.Escape(text)}");
        }
        else
        {
            CliErrors.Report(parse.Error!);
        }
        return parse.Succeeded ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>Standard-input mode: one JSON string per input line, one JSON object per output line, in order.</summary>
    public static int AnswerLines(TextReader input, TextWriter output, CancellationToken cancellation = default)
    {
        bool allParsed = true;
        int lineNumber = 0;
        for (string? line = input.ReadLine(); line is not null && !cancellation.IsCancellationRequested; line = input.ReadLine())
        {
            lineNumber++;
            string answer;
            if (ReadPrompt(line) is { } prompt)
            {
                var parse = PromptAttention.Parse(prompt);
                allParsed &= parse.Succeeded;
                answer = Describe(prompt, parse);
            }
            else
            {
                allParsed = false;
                answer = $"{{\"prompt\": null, \"error\": {AsciiJson.String($"line {lineNumber} is not a JSON string")}}}";
            }
            output.WriteLine(answer);
        }
        output.Flush();
        return allParsed ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>One JSON object: the prompt and its pieces, or the prompt and why it has none.</summary>
    public static string Describe(string prompt, AttentionParse parse) =>
        parse.Succeeded
            ? $"{{\"prompt\": {AsciiJson.String(prompt)}, \"pieces\": [{string.Join(", ", parse.Pieces.Select(p => $"[{AsciiJson.String(p.Text)}, {AsciiJson.Number(p.Weight)}]"))}]}}"
            : $"{{\"prompt\": {AsciiJson.String(prompt)}, \"error\": {AsciiJson.String(parse.Error)}}}";

    static string? ReadPrompt(string line)
    {
        try
        {
            using var document = JsonDocument.Parse(line);
            return document.RootElement.ValueKind == JsonValueKind.String ? document.RootElement.GetString() : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }
}
