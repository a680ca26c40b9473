using System.ComponentModel;
using Pipeline.Models.Bundles;
using Pipeline.Plugins.Hosting;
using Pipeline.Runtime;
using Pipeline.Training.Evaluation;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl evaluate</c>: the paper in miniature on the embedded default (or given checkpoints): table + grids.</summary>
public sealed class EvaluateCommand : Command<EvaluateCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--checkpoint <FILE>")] [Description("Base model to evaluate (default: the embedded model)")] public string? Checkpoint { get; init; }
        [CommandOption("--refiner <FILE>")] [Description("Refiner for the refiner rows (default: the embedded refiner)")] public string? Refiner { get; init; }
        [CommandOption("--samples <N>")] [Description("Samples per row (the README table uses 200)")] [DefaultValue(200)] public int Samples { get; init; } = 200;
        [CommandOption("--no-samplers")] [Description("Skip the row per registered sampler (default: off)")] public bool NoSamplers { get; init; }
        [CommandOption("--out <DIR>")] [Description("Folder for evaluation.md and the grids")] [DefaultValue("evaluation")] public string Out { get; init; } = "evaluation";
        [CommandOption("--threads <N>")] [Description("libtorch CPU threads (default: one per core; the same count gives the same numbers)")] public int? Threads { get; init; }

        public override ValidationResult Validate() =>
            Samples < 1 ? ValidationResult.Error($"--samples must be at least 1, got {Samples}")
            : Options.OptionParsing.ThreadsProblem(Threads) is { } threads ? ValidationResult.Error(threads)
            : Checkpoint is { } c && !File.Exists(c) ? ValidationResult.Error($"--checkpoint: no such file: {c}")
            : Refiner is { } r && !File.Exists(r) ? ValidationResult.Error($"--refiner: no such file: {r}")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CliErrors.Guard(() =>
        {
            TorchRuntime.Configure(s.Threads is { } t ? new RuntimeSettings(t) : RuntimeSettings.Default);
            var registry = PluginHost.LoadOnce().Registry;
            var basePath = s.Checkpoint ?? EmbeddedModels.Base ?? throw new CliException(EmbeddedModels.MissingMessage);
            using var model = SdxlModel.Load(basePath, registry: registry);
            var refinerPath = s.Refiner ?? EmbeddedModels.Refiner;
            using var refiner = refinerPath is null ? null : SdxlModel.Load(refinerPath, registry: registry);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            AnsiConsole.MarkupLine(Markup.Escape(EvaluationRow.MarkdownHeader));
            TinyEvaluation.Run(model, refiner, registry, new EvaluationSettings(SamplesPerRow: s.Samples), s.Out,
                line => AnsiConsole.MarkupLine(Markup.Escape(line)), includeSamplers: !s.NoSamplers);
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(Path.Combine(s.Out, "evaluation.md"))}[/] and grids in {clock.Elapsed.TotalMinutes:F1} min");
            return ExitCodes.Ok;
        });
}
