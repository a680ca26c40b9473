using Pipeline.Diffusion.Sampling;
using Spectre.Console;

namespace Pipeline.Cli.Rendering;

/// <summary>Runs work under a live progress bar (steps/s, ETA) fed by sampler step callbacks.</summary>
public static class SamplingProgress
{
    public static T Run<T>(string title, int totalSteps, CancellationToken cancellation, Func<SamplingOptions, T> work)
    {
        T result = default!;
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new TransferSpeedlessRateColumn(),
                new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var task = ctx.AddTask(Markup.Escape(title), maxValue: totalSteps);
                var options = new SamplingOptions(step => task.Increment(1), cancellation);
                result = work(options);
                task.Value = task.MaxValue;
            });
        return result;
    }

    /// <summary>"N.NN steps/s" from the task's speed.</summary>
    sealed class TransferSpeedlessRateColumn : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Markup(task.Speed is { } s ? $"[grey]{s:F2} steps/s[/]" : "[grey]-- steps/s[/]");
    }
}
