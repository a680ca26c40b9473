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
        [CommandOption("--stage <STAGE>")] [Description("all | vae | base | refiner | taesd (the tiny preview/fast decoder, distilled from the base's VAE) | taesd-encoder (a tiny fast encoder, likewise; not part of all); several as a comma-separated list")] [DefaultValue("all")] public string Stage { get; init; } = "all";
        [CommandOption("--flush-denormals")] [Description("Train the base and the refiner with denormal floats flushed to zero (faster steps on CPUs; off: IEEE denormals, as the shipped weights were trained)")] [DefaultValue(false)] public bool FlushDenormals { get; init; }
        [CommandOption("--sequential")] [Description("With all: train every stage in this process, one after another (default: after the VAE, the refiner and then TAESD train in a second process on one core beside the base on the other, when the machine has 2 cores or more)")] [DefaultValue(false)] public bool Sequential { get; init; }
        [CommandOption("--work <DIR>")] [Description("Intermediate results and training states (on the next run a finished stage is skipped and a stopped one resumes where it stopped)")] [DefaultValue(".train")] public string Work { get; init; } = ".train";
        [CommandOption("--out <DIR>")] [Description("Where the base, refiner and TAESD checkpoints go; a file there that this --work folder did not write (e.g. the shipped weights) is trained anew and replaced when its stage ends")] [DefaultValue("models")] public string Out { get; init; } = "models";
        [CommandOption("--scale <X>")] [Description("Multiply every step count (e.g. 0.05 for a quick trial)")] [DefaultValue(1.0)] public double Scale { get; init; } = 1.0;
        [CommandOption("--seed <N>")] [Description("Seed of the whole training plan (data, initialisation, noise)")] [DefaultValue(20251126L)] public long Seed { get; init; } = 20251126;
        [CommandOption("--threads <N>")] [Description("libtorch CPU threads (default: one per core; with all and two lanes: the VAE's, each lane after it takes one)")] public int? Threads { get; init; }

        [CommandOption("--loss-weighting <NAME>")] [Description("Loss weighting of every diffusion stage: a registered one (eps, edm, min-snr, v, unit, …); default: eps (SDXL) for the base, min-SNR-2 for the refiner")] public string? LossWeighting { get; init; }
        [CommandOption("--sigma-sampler <NAME>")] [Description("Training noise levels of the base stages: a registered sigma sampler (discrete, edm, …); default: the model's 1000 discrete scales")] public string? SigmaSampler { get; init; }

        public override ValidationResult Validate() =>
            !(Scale > 0) || !double.IsFinite(Scale) ? ValidationResult.Error($"--scale must be a positive number, got {Scale}")
            : Options.OptionParsing.ThreadsProblem(Threads) is { } threads ? ValidationResult.Error(threads)
            : StageProblem(Stage) is { } stage ? ValidationResult.Error(stage)
            : ValidationResult.Success();

        static string? StageProblem(string stage)
        {
            try { TinyTraining.ParseStages(stage); return null; }
            catch (ArgumentException e) { return e.Message.Replace("unknown training stage", "unknown --stage", StringComparison.Ordinal); }
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CliErrors.Guard(() =>
        {
            if (!(s.Scale > 0)) throw new ArgumentException($"--scale must be positive, got {s.Scale}");
            TorchRuntime.Configure(s.Threads is { } t ? new RuntimeSettings(t) : RuntimeSettings.Default);
            var registry = Pipeline.Plugins.Hosting.PluginHost.LoadOnce().Registry;
            var weighting = s.LossWeighting is null ? null : registry.LossWeighting(s.LossWeighting);
            var plan = new TinyTrainingPlan(Seed: s.Seed,
                SigmaSampler: s.SigmaSampler is null ? null : registry.SigmaSampler(s.SigmaSampler)) { FlushDenormals = s.FlushDenormals }
                .WithLossWeighting(weighting).Scaled(s.Scale);
            using var ctrlC = new Rendering.CtrlC(cancellation);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                bool lanes = s.Stage.Trim().Equals("all", StringComparison.OrdinalIgnoreCase) && !s.Sequential && Environment.ProcessorCount >= 2;
                if (!lanes)
                {
                    Train(plan, s, s.Stage, ctrlC.Token);
                    AnsiConsole.MarkupLine($"training finished in {clock.Elapsed.TotalMinutes:F1} min");
                    return ExitCodes.Ok;
                }
                // The VAE on every thread, then two lanes of one core each: the base here, the refiner and TAESD in a
                // second process (the tiny UNets' kernels are too small to split over threads; two processes keep both
                // cores busy and libtorch's thread settings apart).
                Train(plan, s, "vae", ctrlC.Token);
                var vaeTime = clock.Elapsed;
                TorchRuntime.Configure(new RuntimeSettings(1));
                using var lane = SecondLane.Start(s, "refiner,taesd");
                AnsiConsole.MarkupLine($"[grey]{DateTime.Now:HH:mm:ss}[/] refiner, taesd: training in a second process on one core (log: {Markup.Escape(lane.LogPath)})");
                var baseClock = System.Diagnostics.Stopwatch.StartNew();
                Train(plan, s, "base", ctrlC.Token, prefetchBaseLatents: lane.Exited);
                var baseTime = baseClock.Elapsed;
                var laneTime = lane.Wait(ctrlC.Token);
                AnsiConsole.MarkupLine($"training finished in {clock.Elapsed.TotalMinutes:F1} min: vae {vaeTime.TotalMinutes:F1} min, then base {baseTime.TotalMinutes:F1} min beside refiner + taesd {laneTime.TotalMinutes:F1} min");
                return ExitCodes.Ok;
            }
            catch (OperationCanceledException)
            {
                AnsiConsole.MarkupLine($"[yellow]cancelled[/]: finished stages and the running stages' training state (written where they stopped, and every {plan.CheckpointEvery} steps) are kept in {Markup.Escape(s.Work)}; rerun the same command to resume");
                return ExitCodes.Cancelled;
            }
        });

    static void Train(TinyTrainingPlan plan, Settings s, string stages, CancellationToken cancel, Task? prefetchBaseLatents = null) =>
        AnsiConsole.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(ctx =>
            {
                var tasks = new Dictionary<string, ProgressTask>();
                TinyTraining.Run(plan, s.Work, s.Out, stages, e =>
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
                }, cancel, prefetchBaseLatents);
            });

    /// <summary>
    /// <c>sdxl train --stage STAGES --threads 1</c> with this run's plan options, as a child process of this one (the
    /// same executable), its output in <c>WORK/train-STAGES.log</c>. Disposing kills it if it still runs.
    /// </summary>
    sealed class SecondLane : IDisposable
    {
        readonly System.Diagnostics.Process _process;
        readonly Task _copy;
        readonly DateTime _started = DateTime.Now;

        public string LogPath { get; }

        SecondLane(System.Diagnostics.Process process, string logPath, Task copy) =>
            (_process, LogPath, _copy, Exited) = (process, logPath, copy, process.WaitForExitAsync());

        /// <summary>Ends when the lane's process has exited (its core is free).</summary>
        public Task Exited { get; }

        public static SecondLane Start(Settings s, string stages)
        {
            // The `sdxl` executable runs itself; under `dotnet sdxl.dll` (or a test host) the dotnet host runs the CLI assembly.
            var cli = typeof(TrainCommand).Assembly.Location;
            var self = Environment.ProcessPath;
            bool apphost = self is not null && Path.GetFileNameWithoutExtension(self).Equals(Path.GetFileNameWithoutExtension(cli), StringComparison.Ordinal);
            var host = apphost ? self! : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH")
                ?? (self is not null && Path.GetFileNameWithoutExtension(self).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? self : "dotnet");
            var start = new System.Diagnostics.ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            if (!apphost) start.ArgumentList.Add(cli);
            // A 256 MB young generation: about 70x fewer collections (20 M small allocations: 686 -> 10), so fewer chances
            // for a collection to finalise one of TorchSharp's temporary Scalars while its native call is in flight (the
            // "libtorch failed in a step" of long trainings). Only this child: a process cannot change its own GC.
            if (Environment.GetEnvironmentVariable("DOTNET_GCgen0size") is null) start.Environment["DOTNET_GCgen0size"] = "0x10000000";
            var args = new List<string> { "train", "--stage", stages, "--threads", "1", "--work", s.Work, "--out", s.Out,
                "--seed", s.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--scale", s.Scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture) };
            if (s.LossWeighting is not null) args.AddRange(new[] { "--loss-weighting", s.LossWeighting });
            if (s.SigmaSampler is not null) args.AddRange(new[] { "--sigma-sampler", s.SigmaSampler });
            if (s.FlushDenormals) args.Add("--flush-denormals");
            foreach (var a in args) start.ArgumentList.Add(a);
            var logPath = Path.Combine(s.Work, $"train-{stages.Replace(',', '-')}.log");
            var process = System.Diagnostics.Process.Start(start) ?? throw new InvalidOperationException($"could not start {host}");
            var copy = Rendering.LaneLog.Copy(logPath, process.StandardOutput, process.StandardError);
            return new SecondLane(process, logPath, copy);
        }

        /// <summary>Waits for the lane; its wall-clock time from start to exit (not to this wait), or an error with the end of its log.</summary>
        public TimeSpan Wait(CancellationToken cancel)
        {
            _process.WaitForExitAsync(cancel).GetAwaiter().GetResult();
            _copy.GetAwaiter().GetResult();
            var time = _process.ExitTime - _started;   // StartTime cannot be read once the process has exited
            if (_process.ExitCode != 0)
            {
                var tail = File.ReadLines(LogPath).TakeLast(8);
                throw new InvalidOperationException($"the second training process (refiner, taesd) failed with exit code {_process.ExitCode}; its log {LogPath} ends:\n{string.Join("\n", tail)}");
            }
            return time;
        }

        /// <summary>Stops the lane if it still runs: asked like Ctrl+C first (on Unix, SIGINT: it writes its training state
        /// at the step it stopped), killed if it has not exited within 20 s.</summary>
        public void Dispose()
        {
            try
            {
                if (!_process.HasExited && !OperatingSystem.IsWindows()) _ = Interrupt(_process.Id, SigInt);
                if (!_process.WaitForExit(TimeSpan.FromSeconds(20))) { _process.Kill(entireProcessTree: true); _process.WaitForExit(); }
            }
            catch (InvalidOperationException) { /* it ended meanwhile */ }
            _process.Dispose();
        }

        const int SigInt = 2;

        [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill", SetLastError = true)]
        static extern int Interrupt(int pid, int signal);
    }
}
