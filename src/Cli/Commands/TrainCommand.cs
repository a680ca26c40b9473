using System.ComponentModel;
using Pipeline.Runtime;
using Pipeline.Training.TinyDefault;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl train</c>: trains the embedded default (tiny SDXL on the shape world): VAE, base, refiner.</summary>
public sealed class TrainCommand : Command<TrainCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--stage <STAGE>")] [Description("all | vae | base | refiner | taesd (the tiny preview/fast decoder, distilled from the base's VAE) | taesd-encoder (a tiny fast encoder, likewise; not part of all)")] [DefaultValue("all")] public string Stage { get; init; } = "all";
        [CommandOption("--work <DIR>")] [Description("Intermediate results (a finished stage is skipped on the next run)")] [DefaultValue(".train")] public string Work { get; init; } = ".train";
        [CommandOption("--out <DIR>")] [Description("Where the base, refiner and TAESD checkpoints go")] [DefaultValue("models")] public string Out { get; init; } = "models";
        [CommandOption("--scale <X>")] [Description("Multiply every step count (e.g. 0.05 for a quick trial)")] [DefaultValue(1.0)] public double Scale { get; init; } = 1.0;
        [CommandOption("--seed <N>")] [Description("Seed of the whole training plan (data, initialisation, noise)")] [DefaultValue(20251126L)] public long Seed { get; init; } = 20251126;
        [CommandOption("--threads <N>")] [Description("libtorch CPU threads (default: one per core)")] public int? Threads { get; init; }

        [CommandOption("--loss-weighting <NAME>")] [Description("Loss weighting of every diffusion stage: a registered one (eps, edm, v, unit, …); default: eps (SDXL)")] public string? LossWeighting { get; init; }
        [CommandOption("--sigma-sampler <NAME>")] [Description("Training noise levels of the base stages: a registered sigma sampler (discrete, edm, …); default: the model's 1000 discrete scales")] public string? SigmaSampler { get; init; }

        public override ValidationResult Validate() =>
            !(Scale > 0) || !double.IsFinite(Scale) ? ValidationResult.Error($"--scale must be a positive number, got {Scale}")
            : Options.OptionParsing.ThreadsProblem(Threads) is { } threads ? ValidationResult.Error(threads)
            : Stage is not ("all" or "vae" or "base" or "refiner" or "taesd" or "taesd-encoder") ? ValidationResult.Error($"unknown --stage '{Stage}'; valid: all, vae, base, refiner, taesd, taesd-encoder")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CliErrors.Guard(() =>
        {
            if (!(s.Scale > 0)) throw new ArgumentException($"--scale must be positive, got {s.Scale}");
            TorchRuntime.Configure(s.Threads is { } t ? new RuntimeSettings(t) : RuntimeSettings.Default);
            var registry = Pipeline.Plugins.Hosting.PluginHost.LoadOnce().Registry;
            var plan = new TinyTrainingPlan(Seed: s.Seed,
                LossWeighting: s.LossWeighting is null ? null : registry.LossWeighting(s.LossWeighting),
                SigmaSampler: s.SigmaSampler is null ? null : registry.SigmaSampler(s.SigmaSampler)).Scaled(s.Scale);
            using var ctrlC = new Rendering.CtrlC(cancellation);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                AnsiConsole.Progress().AutoClear(false)
                    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
                    .Start(ctx =>
                    {
                        var tasks = new Dictionary<string, ProgressTask>();
                        TinyTraining.Run(plan, s.Work, s.Out, s.Stage, e =>
                        {
                            if (e.Message is not null)
                            {
                                AnsiConsole.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss}[/] {Markup.Escape(e.Stage)}: {Markup.Escape(e.Message)}");
                                return;
                            }
                            var p = e.Progress!;
                            if (!tasks.TryGetValue(e.Stage, out var task)) tasks[e.Stage] = task = ctx.AddTask(Markup.Escape(e.Stage), maxValue: p.TotalSteps);
                            task.Value = p.Step;
                            task.Description = Markup.Escape($"{e.Stage} loss {p.Loss:F4} {p.StepsPerSecond:F2} steps/s");
                            if (p.Step % 100 == 0 || p.Step == p.TotalSteps)
                                Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} {e.Stage} step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.LearningRate:E2} {p.StepsPerSecond:F2} steps/s ETA {p.Eta:mm\\:ss}");
                        }, ctrlC.Token);
                    });
                AnsiConsole.MarkupLine($"training finished in {clock.Elapsed.TotalMinutes:F1} min");
                return ExitCodes.Ok;
            }
            catch (OperationCanceledException)
            {
                AnsiConsole.MarkupLine("[yellow]cancelled[/]: finished stages are kept in the work folder; rerun to continue");
                return ExitCodes.Cancelled;
            }
        });
}
