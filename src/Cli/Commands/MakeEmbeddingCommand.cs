using System.ComponentModel;
using Pipeline.Models.Bundles;
using Pipeline.Tokenize.Embeddings;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>sdxl make-embedding NAME --init "text"</c>: a textual-inversion embedding whose vectors are the model's own token
/// embeddings of the text (A1111's "Create embedding" with an initialization text): a starting point for training one,
/// and a prompt shorthand that stands exactly for those words.
/// </summary>
public sealed class MakeEmbeddingCommand : Command<MakeEmbeddingCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<name>")] [Description("The embedding's name (the file is <name>.safetensors; prompts name it so)")] public string Name { get; init; } = "";
        [CommandOption("--init <TEXT>")] [Description("Initialization text: one vector per token of it (required, no default)")] public string? Init { get; init; }
        [CommandOption("--checkpoint <FILE>")] [Description("SDXL base single-file .safetensors whose token embeddings to use (default: the embedded model)")] public string? Checkpoint { get; init; }
        [CommandOption("--out-dir <DIR>")] [Description("Folder to write <name>.safetensors into (created if missing)")] [DefaultValue("embeddings")] public string OutDir { get; init; } = "embeddings";

        public override ValidationResult Validate()
        {
            if (string.IsNullOrWhiteSpace(Name) || Name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || Name.Contains(' '))
                return ValidationResult.Error($"'{Name}' cannot name an embedding file; use letters, digits, '-' or '_'");
            if (string.IsNullOrWhiteSpace(Init)) return ValidationResult.Error("--init <TEXT> is required: the words the embedding starts from");
            if (Checkpoint is { } c && !File.Exists(c)) return ValidationResult.Error($"--checkpoint: no such file: {c}");
            return ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CliErrors.Guard(() =>
        {
            var checkpoint = s.Checkpoint ?? EmbeddedModels.Base ?? throw new CliException(EmbeddedModels.MissingMessage);
            var path = Path.Combine(s.OutDir, s.Name + ".safetensors");
            Pipeline.IO.OutputTarget.Check(path);
            if (File.Exists(path)) throw new CliException($"{path} exists; choose another name or remove it");
            using var model = AnsiConsole.Status().Start($"loading {Path.GetFileName(checkpoint)}", _ => SdxlModel.Load(checkpoint));
            var embedding = TextualInversionFromTokens.Create(model.Conditioner, s.Name, s.Init!);
            Directory.CreateDirectory(s.OutDir);
            TextualInversionFromTokens.Save(embedding, path);
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(path)}[/]: {embedding.VectorCount} vectors (clip_l {embedding.ClipLWidth}, clip_g {embedding.ClipGWidth} wide) from \"{Markup.Escape(s.Init!)}\"");
            return ExitCodes.Ok;
        });
}
