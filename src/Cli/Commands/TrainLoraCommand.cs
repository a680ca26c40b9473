using System.ComponentModel;
using System.Globalization;
using System.Text;
using Pipeline.Adapters;
using Pipeline.Models.Bundles;
using Pipeline.Plugins.Hosting;
using Pipeline.Runtime;
using Pipeline.Training;
using Pipeline.Training.Evaluation;
using Pipeline.Training.Lora;
using Pipeline.Training.World;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>sdxl train-lora</c>: teaches the embedded default (or --checkpoint) a concept of the shape world it never saw (a new
/// colour) with a LoRA on the UNet's transformer Linear layers (and with --text-encoders on both text encoders); writes a kohya-format file, a training state beside it
/// (resume with --resume) and, unless --eval-samples 0, the concept evaluation table.
/// </summary>
public sealed class TrainLoraCommand : Command<TrainLoraCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--concept <NAME>")] [Description("The new concept: a colour the base model does not know (pink)")] [DefaultValue("pink")] public string Concept { get; init; } = "pink";
        [CommandOption("--rank <N>")] [Description("LoRA rank r")] [DefaultValue(8)] public int Rank { get; init; } = 8;
        [CommandOption("--alpha <X>")] [Description("LoRA alpha (the update is scaled by alpha / rank)")] [DefaultValue(8.0)] public double Alpha { get; init; } = 8;
        [CommandOption("--targets <LIST>")] [Description("UNet layers to adapt: attention, ff, proj (comma-separated) or all")] [DefaultValue("all")] public string Targets { get; init; } = "all";
        [CommandOption("--text-encoders")] [Description("Also adapt both text encoders (attention q/k/v/out and MLP fc1/fc2 of every layer the conditioning reads; default: the UNet only)")] public bool TextEncoders { get; init; }
        [CommandOption("--steps <N>")] [Description("Training steps")] [DefaultValue(600L)] public long Steps { get; init; } = 600;
        [CommandOption("--batch <N>")] [Description("Images per step")] [DefaultValue(32)] public int Batch { get; init; } = 32;
        [CommandOption("--lr <X>")] [Description("AdamW learning rate (constant after warm-up)")] [DefaultValue(2e-3)] public double LearningRate { get; init; } = 2e-3;
        [CommandOption("--warmup <N>")] [Description("Linear warm-up steps")] [DefaultValue(20L)] public long Warmup { get; init; } = 20;
        [CommandOption("--concept-fraction <X>")] [Description("Share of training images showing the concept (the rest are base-world images)")] [DefaultValue(0.5)] public double ConceptFraction { get; init; } = 0.5;
        [CommandOption("--seed <N>")] [Description("Seed of the data, the LoRA initialisation and the noise")] [DefaultValue(20251201L)] public long Seed { get; init; } = 20251201;
        [CommandOption("--checkpoint <FILE>")] [Description("Base model to adapt (default: the embedded model)")] public string? Checkpoint { get; init; }
        [CommandOption("--out <FILE>")] [Description("The LoRA file (kohya format); the training state goes to FILE.state")] [DefaultValue("outputs/lora.safetensors")] public string Out { get; init; } = "outputs/lora.safetensors";
        [CommandOption("--storage <DTYPE>")] [Description("float32 | float16: dtype of the saved LoRA factors")] [DefaultValue("float16")] public string Storage { get; init; } = "float16";
        [CommandOption("--resume")] [Description("Continue from FILE.state when it exists (default: start fresh)")] public bool Resume { get; init; }
        [CommandOption("--save-every <N>")] [Description("Write the LoRA and its state every N steps (0: only at the end)")] [DefaultValue(100L)] public long SaveEvery { get; init; } = 100;
        [CommandOption("--eval-samples <N>")] [Description("Samples per concept row of the evaluation (base rows: twice as many); 0: no evaluation")] [DefaultValue(96)] public int EvalSamples { get; init; } = 96;
        [CommandOption("--eval-out <DIR>")] [Description("Folder for lora-<concept>.md and its preview grid")] [DefaultValue("evaluation")] public string EvalOut { get; init; } = "evaluation";
        [CommandOption("--threads <N>")] [Description("libtorch CPU threads (default: one per core; a resume is bit-exact with the same count)")] public int? Threads { get; init; }

        public override ValidationResult Validate()
        {
            if (!ShapeWorld.ConceptColors.Any(c => c.Name == Concept)) return ValidationResult.Error($"unknown --concept '{Concept}'; valid: {string.Join(", ", ShapeWorld.ConceptColors.Select(c => c.Name))}");
            try { LoraTargetRules.Parse(Targets); } catch (ArgumentException e) { return ValidationResult.Error("--targets: " + e.Message); }
            return Rank < 1 ? ValidationResult.Error($"--rank must be >= 1, got {Rank}")
                : !(Alpha > 0) || !double.IsFinite(Alpha) ? ValidationResult.Error($"--alpha must be positive, got {Alpha}")
                : Steps < 1 ? ValidationResult.Error($"--steps must be >= 1, got {Steps}")
                : Batch < 1 ? ValidationResult.Error($"--batch must be >= 1, got {Batch}")
                : !(LearningRate > 0) || !double.IsFinite(LearningRate) ? ValidationResult.Error($"--lr must be positive, got {LearningRate}")
                : Warmup < 0 ? ValidationResult.Error($"--warmup must be >= 0, got {Warmup}")
                : !(ConceptFraction >= 0 && ConceptFraction <= 1) ? ValidationResult.Error($"--concept-fraction must be in [0, 1], got {ConceptFraction}")
                : Storage is not ("float32" or "float16") ? ValidationResult.Error($"--storage must be float32 or float16, got '{Storage}'")
                : SaveEvery < 0 ? ValidationResult.Error($"--save-every must be >= 0, got {SaveEvery}")
                : EvalSamples < 0 ? ValidationResult.Error($"--eval-samples must be >= 0, got {EvalSamples}")
                : string.IsNullOrWhiteSpace(Out) ? ValidationResult.Error("--out must name a file")
                : Options.OptionParsing.ThreadsProblem(Threads) is { } threads ? ValidationResult.Error(threads)
                : Checkpoint is { } c && !File.Exists(c) ? ValidationResult.Error($"--checkpoint: no such file: {c}")
                : ValidationResult.Success();
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CliErrors.Guard(() =>
        {
            TorchRuntime.Configure(s.Threads is { } t ? new RuntimeSettings(t) : RuntimeSettings.Default);
            var registry = PluginHost.LoadOnce().Registry;
            var concept = ShapeWorld.ConceptNamed(s.Concept);
            var basePath = s.Checkpoint ?? EmbeddedModels.Base ?? throw new CliException(EmbeddedModels.MissingMessage);
            var storage = s.Storage == "float32" ? ScalarType.Float32 : ScalarType.Float16;
            var statePath = s.Out + ".state";
            var settings = new LoraTrainingSettings
            {
                Rank = s.Rank, Alpha = s.Alpha, Targets = LoraTargetRules.Parse(s.Targets), TextEncoders = s.TextEncoders, Steps = s.Steps,
                LearningRate = s.LearningRate, WarmupSteps = s.Warmup, Seed = s.Seed,
            };
            var data = new ConceptWorldData(new ConceptWorldSettings(ShapeWorldSettings.Base(s.Seed, s.Batch), concept, s.ConceptFraction));
            if (Path.GetDirectoryName(Path.GetFullPath(s.Out)) is { } dir) Directory.CreateDirectory(dir);
            using var model = SdxlModel.Load(basePath, registry: registry);
            var meta = new Dictionary<string, string>
            {
                ["ss_output_name"] = Path.GetFileNameWithoutExtension(s.Out),
                ["pipeline.lora.concept"] = concept.Name,
                ["pipeline.lora.command"] = $"sdxl train-lora --concept {concept.Name} --rank {s.Rank} --alpha {s.Alpha.ToString(CultureInfo.InvariantCulture)} --targets {s.Targets}{(s.TextEncoders ? " --text-encoders" : "")} --steps {s.Steps} --batch {s.Batch} --lr {s.LearningRate.ToString(CultureInfo.InvariantCulture)} --warmup {s.Warmup} --concept-fraction {s.ConceptFraction.ToString(CultureInfo.InvariantCulture)} --seed {s.Seed}",
            };
            var clock = System.Diagnostics.Stopwatch.StartNew();
            using var ctrlC = new Rendering.CtrlC(cancellation);
            using (var trainer = new LoraTrainer(model, data, settings))
            {
                if (s.Resume && File.Exists(statePath))
                {
                    trainer.LoadState(statePath);
                    AnsiConsole.MarkupLine($"resumed at step {trainer.Step} from {Markup.Escape(statePath)}");
                }
                AnsiConsole.MarkupLine(Markup.Escape($"LoRA rank {s.Rank}, alpha {s.Alpha}, {trainer.Network.Modules.Count} modules, {trainer.Trainable.Sum(p => p.Parameter.numel())} parameters; concept '{concept.Name}' on {Path.GetFileName(basePath)}"));
                void Save()
                {
                    trainer.Save(s.Out, storage, meta);
                    trainer.SaveState(statePath);
                }
                try
                {
                    trainer.Train(new TrainingCallbacks(
                        OnStep: p =>
                        {
                            if (p.Step % 25 == 0 || p.Step == p.TotalSteps)
                                Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} lora step {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.LearningRate:E2} {p.StepsPerSecond:F2} steps/s ETA {p.Eta:mm\\:ss}");
                        },
                        CheckpointEvery: s.SaveEvery, OnCheckpoint: _ => Save()), cancel: ctrlC.Token);
                }
                catch (OperationCanceledException)
                {
                    Save();
                    AnsiConsole.MarkupLine($"[yellow]cancelled[/] at step {trainer.Step}: saved; rerun with --resume to continue");
                    return ExitCodes.Cancelled;
                }
                Save();
            }
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(s.Out)}[/] ({new FileInfo(s.Out).Length / 1024.0:F0} KiB) after {clock.Elapsed.TotalMinutes:F1} min of training");
            if (s.EvalSamples == 0) return ExitCodes.Ok;

            var lora = Adapter.Load(s.Out, model);
            AnsiConsole.MarkupLine(Markup.Escape(lora.ToString()));
            var eval = new EvaluationSettings(SamplesPerRow: s.EvalSamples, Sampler: "euler_ancestral", BatchSize: 48);
            AnsiConsole.MarkupLine(Markup.Escape(EvaluationRow.MarkdownHeader));
            var rows = LoraConceptEvaluation.Run(model, lora, registry, eval, concept, s.EvalSamples, 2 * s.EvalSamples, out bool identical,
                line => AnsiConsole.MarkupLine(Markup.Escape(line)), s.EvalOut);
            var md = new StringBuilder();
            md.AppendLine($"LoRA {Path.GetFileName(s.Out)} on {Path.GetFileName(basePath)}: {eval.Steps} steps, {eval.Sampler}, CFG {eval.CfgScale}, 64x64, seed {eval.Seed} + batch start, detector palette: the 8 base colours + {concept.Name}.");
            md.AppendLine();
            md.AppendLine(EvaluationRow.MarkdownHeader);
            foreach (var r in rows) md.AppendLine(r.ToMarkdown());
            md.AppendLine();
            md.AppendLine($"Strength 0 reproduces the no-LoRA row, and its first batch of images bit for bit: {(identical ? "yes" : "NO")}.");
            Directory.CreateDirectory(s.EvalOut);
            var mdPath = Path.Combine(s.EvalOut, $"lora-{concept.Name}.md");
            Pipeline.IO.AtomicFile.WriteBytes(mdPath, Encoding.UTF8.GetBytes(md.ToString()));
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(mdPath)}[/]; total {clock.Elapsed.TotalMinutes:F1} min");
            return identical ? ExitCodes.Ok : throw new InvalidOperationException("strength 0 did not reproduce the model without the LoRA");
        });
}
