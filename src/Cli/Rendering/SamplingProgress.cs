using System.Diagnostics;
using System.Globalization;
using Pipeline.Diffusion.Sampling;
using Spectre.Console;

namespace Pipeline.Cli.Rendering;

/// <summary>
/// Runs work under a progress display fed by sampler step callbacks: a live bar (steps/s, ETA) in a terminal; plain
/// lines on stderr (about ten per run, and the last step) when the output is not a terminal, so logs stay readable.
/// </summary>
public static class SamplingProgress
{
    public static T Run<T>(string title, int totalSteps, CancellationToken cancellation, Func<SamplingOptions, T> work)
    {
        if (Console.IsOutputRedirected || !AnsiConsole.Profile.Capabilities.Interactive)
            return RunPlain(title, totalSteps, cancellation, work, Console.Error);
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

    /// <summary>One line per ~10 % of the steps: "title: step k/n, r steps/s, ETA m:ss".</summary>
    public static T RunPlain<T>(string title, int totalSteps, CancellationToken cancellation, Func<SamplingOptions, T> work, TextWriter log)
    {
        var clock = Stopwatch.StartNew();
        int done = 0, every = Math.Max(1, totalSteps / 10);
        var options = new SamplingOptions(_ =>
        {
            done++;
            if (done % every != 0 && done != totalSteps) return;
            double rate = done / Math.Max(1e-9, clock.Elapsed.TotalSeconds);
            var eta = TimeSpan.FromSeconds(Math.Max(0, totalSteps - done) / Math.Max(1e-9, rate));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{title}: step {done}/{totalSteps}, {rate:F2} steps/s, ETA {eta:m\\:ss}"));
        }, cancellation);
        return work(options);
    }

    /// <summary>"N.NN steps/s" from the task's speed.</summary>
    sealed class TransferSpeedlessRateColumn : ProgressColumn
    {
        public override Spectre.Console.Rendering.IRenderable Render(Spectre.Console.Rendering.RenderOptions options, ProgressTask task, TimeSpan deltaTime) =>
            new Markup(task.Speed is { } s ? $"[grey]{s:F2} steps/s[/]" : "[grey]-- steps/s[/]");
    }
}
