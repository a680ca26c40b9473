using System.ComponentModel;
using Pipeline.Cli.Options;
using Pipeline.Cli.Rendering;
using Pipeline.Components;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Plugins.Hosting;
using Pipeline.Runtime;
using Pipeline.Stages;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl txt2img "prompt"</c>: text to image with the default model or a released checkpoint.</summary>
public sealed class TxtToImgCommand : Command<TxtToImgCommand.Settings>
{
    public class Settings : GenerationOptions
    {
        [CommandArgument(0, "<prompt>")] public string Prompt { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        GenerationRunner.Run(s, s.Prompt, cancellation, (model, refiner, registry, settings, refine, options) =>
            refiner is null
                ? TextToImage.Run(model, registry, settings, options)
                : TextToImage.RunWithRefiner(model, refiner, registry, settings, refine, options));
}

/// <summary>Options shared by the image commands.</summary>
public class GenerationOptions : CommandSettings
{
    [CommandOption("--negative <TEXT>")] [Description("Negative prompt (empty: zeroed text embeddings, as sgm)")] public string Negative { get; init; } = "";
    [CommandOption("--steps <N>")] public int? Steps { get; init; }
    [CommandOption("--cfg <SCALE>")] [Description("Classifier-free guidance scale")] public double? Cfg { get; init; }
    [CommandOption("--sampler <NAME>")] [Description("See 'sdxl samplers' (default: euler_ancestral for the embedded model, euler otherwise)")] public string? Sampler { get; init; }
    [CommandOption("--schedule <NAME>")] [Description("A discretization, see 'sdxl samplers'")] public string Schedule { get; init; } = "legacy_ddpm";
    [CommandOption("--seed <N>")] public long? Seed { get; init; }
    [CommandOption("--width <PX>")] public int? Width { get; init; }
    [CommandOption("--height <PX>")] public int? Height { get; init; }
    [CommandOption("--batch <N>")] public int Batch { get; init; } = 1;
    [CommandOption("--original-size <WxH>")] public string? OriginalSize { get; init; }
    [CommandOption("--crop <TOP,LEFT>")] public string? Crop { get; init; }
    [CommandOption("--target-size <WxH>")] public string? TargetSize { get; init; }
    [CommandOption("--checkpoint <FILE>")] [Description("SDXL base single-file .safetensors (default: the embedded model)")] public string? Checkpoint { get; init; }
    [CommandOption("--refiner <FILE>")] public string? Refiner { get; init; }
    [CommandOption("--refiner-mode <MODE>")] [Description("handoff | sdedit")] public string RefinerMode { get; init; } = "handoff";
    [CommandOption("--refiner-at <X>")] [Description("handoff: fraction of base steps (0.8); sdedit: strength (0.3)")] public double? RefinerAt { get; init; }
    [CommandOption("--dtype <TYPE>")] [Description("fp32 | bf16 | fp16 (UNet and text encoders; the VAE stays fp32)")] public string DType { get; init; } = "fp32";
    [CommandOption("--device <DEVICE>")] [Description("cpu | cuda | cuda:N")] public string Device { get; init; } = "cpu";
    [CommandOption("--threads <N>")] public int? Threads { get; init; }
    [CommandOption("--out <PATH>")] [Description("Output PNG (a batch adds -0, -1, …)")] public string Out { get; init; } = "out.png";
}

/// <summary>Loads models, runs a generation under a progress bar with Ctrl+C, writes PNGs with their parameters.</summary>
public static class GenerationRunner
{
    public delegate GenerationResult Generate(SdxlModel model, SdxlModel? refiner, ComponentRegistry registry, GenerationSettings settings,
        RefinerSettings refine, Pipeline.Diffusion.Sampling.SamplingOptions options);

    public static int Run(GenerationOptions s, string prompt, CancellationToken cancellation, Generate generate, int? stepsOverride = null) =>
        CliErrors.Guard(() =>
        {
            var dtype = OptionParsing.DType(s.DType);
            var device = OptionParsing.Device(s.Device);
            var refinerMode = s.RefinerMode.ToLowerInvariant() switch
            {
                "handoff" => Stages.RefinerMode.Handoff,
                "sdedit" => Stages.RefinerMode.SDEdit,
                _ => throw new ArgumentException($"unknown --refiner-mode '{s.RefinerMode}'; valid: handoff, sdedit"),
            };
            var snapshot = PluginHost.LoadOnce();
            PluginsCommand.WarnAboutFailures(snapshot);
            var registry = snapshot.Registry;
            var checkpointGiven = s.Checkpoint is not null;
            var samplerName = s.Sampler ?? (checkpointGiven ? "euler" : "euler_ancestral");
            _ = registry.Sampler(samplerName);
            _ = registry.Discretization(s.Schedule);

            var checkpoint = s.Checkpoint ?? EmbeddedModels.Base ?? throw new CliException(EmbeddedModels.MissingMessage);
            bool embedded = s.Checkpoint is null;
            int defaultSize = embedded ? 64 : 1024;
            var settings = new GenerationSettings(prompt, s.Negative, s.Width ?? defaultSize, s.Height ?? defaultSize,
                s.Steps ?? (embedded ? 25 : 30), s.Cfg ?? (embedded ? 2.0 : 5.0), samplerName, s.Schedule,
                s.Seed ?? Random.Shared.NextInt64(0, 1L << 32), s.Batch,
                OptionParsing.Size(s.OriginalSize, "--original-size"), OptionParsing.Crop(s.Crop), OptionParsing.Size(s.TargetSize, "--target-size"));
            settings.Validate();

            TorchRuntime.Configure(s.Threads is { } t ? new RuntimeSettings(t) : RuntimeSettings.Default);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
            Console.CancelKeyPress += onCancel;
            try
            {
                using var model = AnsiConsole.Status().Start($"loading {Path.GetFileName(checkpoint)}", _ => SdxlModel.Load(checkpoint, device: device, dtype: dtype));
                using var refiner = s.Refiner is null ? null
                    : AnsiConsole.Status().Start($"loading {Path.GetFileName(s.Refiner)}", _ => SdxlModel.Load(s.Refiner, device: device, dtype: dtype));
                var refine = new RefinerSettings(refinerMode, Sampler: samplerName, CfgScale: settings.CfgScale) is var r && s.RefinerAt is { } at
                    ? refinerMode == Stages.RefinerMode.Handoff ? r with { HandoffFraction = at } : r with { Strength = at }
                    : new RefinerSettings(refinerMode, Sampler: samplerName, CfgScale: settings.CfgScale);
                int totalSteps = stepsOverride ?? settings.Steps + (refiner is null ? 0 : refinerMode == Stages.RefinerMode.SDEdit ? refine.Steps : 0);
                using var result = SamplingProgress.Run($"{settings.Sampler} × {settings.Steps}", totalSteps, cts.Token, options =>
                    generate(model, refiner, registry, settings, refine, options));
                if (result.PromptTokensDropped > 0)
                    AnsiConsole.MarkupLine($"[yellow]warning:[/] the prompt is longer than 75 tokens; {result.PromptTokensDropped} tokens were dropped");
                for (int i = 0; i < settings.BatchSize; i++)
                {
                    var path = settings.BatchSize == 1 ? s.Out : Path.ChangeExtension(s.Out, null) + $"-{i}" + Path.GetExtension(s.Out);
                    using var image = result.Images[i];
                    PngImage.WriteAtomically(path, PngImage.Encode(image, result.Parameters[i]));
                    AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(path)}[/] (seed {settings.Seed})");
                }
                return 0;
            }
            catch (OperationCanceledException)
            {
                AnsiConsole.MarkupLine("[yellow]cancelled[/]: stopped between steps; no image written");
                return 130;
            }
            finally { Console.CancelKeyPress -= onCancel; }
        });
}
