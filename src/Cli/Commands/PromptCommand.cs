using System.ComponentModel;
using System.Globalization;
using System.Text.Json;
using Pipeline.Cli.Rendering;
using Pipeline.Stages;
using Pipeline.Tokenize.Embeddings;
using Pipeline.Tokenize.Prompts;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>sdxl prompt ["text"] [--style a1111|comfy|sgm] [--embeddings-dir DIR] [--json]</c>: how a prompt is read — its
/// parse, the 77-token chunks each text encoder gets (ids and per-token weights), the embeddings and extra-network
/// tags it names — without loading a model. With no text it reads prompts from standard input, one JSON string per
/// line, and writes one JSON object per line.
/// </summary>
/// <remarks>
/// Schema. Fixed part (other tools read it): <c>{"prompt": "…", "pieces": [["text", weight], …]}</c>; for
/// <c>--style a1111</c> the pieces are exactly what A1111's <c>parse_prompt_attention</c> returns for the prompt as
/// given (runs of equal weight merged, <c>BREAK</c> as <c>["BREAK", -1]</c>, the empty prompt as <c>[["", 1]]</c>);
/// for <c>comfy</c>, the (text, weight) pairs ComfyUI tokenizes; for <c>sgm</c>, the whole text at 1. Where the
/// prompt cannot be read (A1111 raises on <c>(a:1.2.3)</c>; an unknown embedding) the object is
/// <c>{"prompt": "…", "error": "…"}</c> instead. Added after <c>pieces</c>: <c>"style"</c>; <c>"networks"</c>
/// (<c>&lt;lora:name:0.8&gt;</c> tags A1111 removes before parsing: <c>{"kind", "name", "args"}</c>);
/// <c>"embeddings"</c> (<c>{"name", "vectors", "file"}</c>); <c>"clip_l"</c> and <c>"clip_g"</c>, each
/// <c>{"tokens": N, "dropped": N, "chunks": [{"ids": [77 ids], "weights": [77 weights], "embeddings": [[position, name, vector], …]}]}</c>.
/// A line that is not a JSON string gives <c>{"prompt": null, "error": "…"}</c>. Strings are ASCII-escaped;
/// numbers are shortest round-trip (non-finite weights: <c>"Infinity"</c>, <c>"-Infinity"</c>, <c>"NaN"</c>).
/// Exit code 0 when every prompt was read, 1 when any answered with an error.
/// </remarks>
public sealed class PromptCommand : Command<PromptCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "[prompt]")]
        [Description("The prompt to read (default: read prompts from standard input, one JSON string per line, and answer one JSON object per line).")]
        public string? Prompt { get; init; }

        [CommandOption("--style <NAME>")]
        [Description("a1111 | comfy | sgm: whose syntax, chunking and weights (see 'sdxl txt2img --help')")]
        [DefaultValue("a1111")]
        public string Style { get; init; } = "a1111";

        [CommandOption("--embeddings-dir <DIR>")]
        [Description("Folder of SDXL textual-inversion embeddings the prompt may name (default: none)")]
        public string? EmbeddingsDir { get; init; }

        [CommandOption("--json")]
        [Description("Print one JSON object (schema: 'prompt', 'pieces', 'style', 'networks', 'embeddings', 'clip_l', 'clip_g', or 'prompt' and 'error'; see the README) (default: pieces as 'weight<TAB>text' lines, then one line per chunk; standard-input mode always writes JSON).")]
        public bool Json { get; init; }

        public override ValidationResult Validate()
        {
            try { PromptStyles.Parse(Style); }
            catch (ArgumentException e) { return ValidationResult.Error(e.Message); }
            if (EmbeddingsDir is { } dir && !Directory.Exists(dir)) return ValidationResult.Error($"--embeddings-dir: no such folder: {dir}");
            return ValidationResult.Success();
        }

        internal PromptOptions Options() => new(PromptStyles.Parse(Style),
            EmbeddingsDir is { } dir ? EmbeddingLibrary.FromDirectory(dir) : EmbeddingLibrary.Empty);
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var options = settings.Options();
        if (settings.Prompt is null) return AnswerLines(Console.In, Console.Out, options, cancellation);
        var reading = Read(settings.Prompt, options);
        if (settings.Json)
        {
            Console.WriteLine(reading.Json);
        }
        else if (reading.Encoding is { } e)
        {
            foreach (var (text, weight) in reading.Pieces)
                Console.WriteLine($"{weight.ToString("R", CultureInfo.InvariantCulture)}\t{TerminalText.Escape(text)}");
            foreach (var (name, chunks) in new[] { ("clip_l", e.ClipL), ("clip_g", e.OpenClip) })
                for (int k = 0; k < chunks.Chunks.Length; k++)
                    Console.WriteLine($"{name} chunk {k + 1}/{chunks.Chunks.Length}: {ChunkSummary(chunks.Chunks[k])}");
            foreach (var tag in e.Networks) Console.WriteLine($"network {TerminalText.Escape(tag.ToString())}");
            foreach (var emb in e.Embeddings.Values.OrderBy(v => v.Name, StringComparer.Ordinal))
                Console.WriteLine($"embedding {TerminalText.Escape(emb.Name)}: {emb.VectorCount} vectors ({TerminalText.Escape(emb.Source ?? "in code")})");
        }
        else
        {
            CliErrors.Report(reading.Error!);
        }
        return reading.Error is null ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>Standard-input mode: one JSON string per input line, one JSON object per output line, in order.</summary>
    public static int AnswerLines(TextReader input, TextWriter output, PromptOptions? options = null, CancellationToken cancellation = default)
    {
        options ??= PromptOptions.Default;
        bool allRead = true;
        int lineNumber = 0;
        for (string? line = input.ReadLine(); line is not null && !cancellation.IsCancellationRequested; line = input.ReadLine())
        {
            lineNumber++;
            string answer;
            if (ReadPrompt(line) is { } prompt)
            {
                var reading = Read(prompt, options);
                allRead &= reading.Error is null;
                answer = reading.Json;
            }
            else
            {
                allRead = false;
                answer = $"{{\"prompt\": null, \"error\": {AsciiJson.String($"line {lineNumber} is not a JSON string")}}}";
            }
            output.WriteLine(answer);
        }
        output.Flush();
        return allRead ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>A prompt read with <paramref name="options"/>: its pieces and encoding, or why it cannot be read; and its JSON.</summary>
    public sealed record Reading(string Prompt, PromptStyle Style, IReadOnlyList<(string Text, double Weight)> Pieces, PromptEncoding? Encoding, string? Error)
    {
        public string Json => PromptJson.Of(this);
    }

    public static Reading Read(string prompt, PromptOptions options)
    {
        IReadOnlyList<(string Text, double Weight)> pieces;
        if (options.Style == PromptStyle.A1111)
        {
            var parse = PromptAttention.Parse(prompt);
            if (!parse.Succeeded) return new Reading(prompt, options.Style, Array.Empty<(string, double)>(), null, parse.Error);
            pieces = parse.Pieces;
        }
        else pieces = options.Style == PromptStyle.Comfy ? ComfyWeights.Parse(prompt) : new[] { (prompt, 1.0) };
        try
        {
            return new Reading(prompt, options.Style, pieces, PromptEncoder.Encode(prompt, options.Style, options.Embeddings), null);
        }
        catch (Exception e) when (e is ArgumentException or IOException)
        {
            return new Reading(prompt, options.Style, pieces, null, e.Message);
        }
    }

    static string ChunkSummary(TokenChunk chunk)
    {
        int end = chunk.Ids.IndexOf(Pipeline.Tokenize.ClipVocabulary.EndOfText);
        var weighted = chunk.Weights.Where(w => w != 1.0).Distinct().OrderBy(w => w).ToList();
        return $"{end - 1} tokens" + (weighted.Count == 0 ? "" : $", weights {string.Join(", ", weighted.Select(w => w.ToString("G4", CultureInfo.InvariantCulture)))}")
            + (chunk.Embeddings.IsEmpty ? "" : $", {chunk.Embeddings.Length} embedding vectors");
    }

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
