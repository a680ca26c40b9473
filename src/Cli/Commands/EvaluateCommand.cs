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
        [CommandOption("--checkpoint <FILE>")] public string? Checkpoint { get; init; }
        [CommandOption("--refiner <FILE>")] public string? Refiner { get; init; }
        [CommandOption("--samples <N>")] [Description("samples per row (the README table uses 200)")] public int Samples { get; init; } = 200;
        [CommandOption("--no-samplers")] [Description("skip the row per registered sampler")] public bool NoSamplers { get; init; }
        [CommandOption("--out <DIR>")] public string Out { get; init; } = "evaluation";
        [CommandOption("--threads <N>")] public int? Threads { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CliErrors.Guard(() =>
        {
            TorchRuntime.Configure(s.Threads is { } t ? new RuntimeSettings(t) : RuntimeSettings.Default);
            var registry = PluginHost.LoadOnce().Registry;
            var basePath = s.Checkpoint ?? EmbeddedModels.Base ?? throw new CliException(EmbeddedModels.MissingMessage);
            using var model = SdxlModel.Load(basePath);
            var refinerPath = s.Refiner ?? EmbeddedModels.Refiner;
            using var refiner = refinerPath is null ? null : SdxlModel.Load(refinerPath);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            AnsiConsole.MarkupLine(Markup.Escape(EvaluationRow.MarkdownHeader));
            TinyEvaluation.Run(model, refiner, registry, new EvaluationSettings(SamplesPerRow: s.Samples), s.Out,
                line => AnsiConsole.MarkupLine(Markup.Escape(line)), includeSamplers: !s.NoSamplers);
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(Path.Combine(s.Out, "evaluation.md"))}[/] and grids in {clock.Elapsed.TotalMinutes:F1} min");
            return 0;
        });
}
