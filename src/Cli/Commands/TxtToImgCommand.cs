using System.ComponentModel;
using Pipeline.Cli.Options;
using Pipeline.Cli.Rendering;
using Pipeline.Components;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Plugins.Hosting;
using Pipeline.Runtime;
using Pipeline.Conditioning;
using Pipeline.Diffusion.Guidance;
using Pipeline.Generation;
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
        GenerationRunner.Run(s, s.Prompt, cancellation, (plan, options) => plan.Run(options));
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

/// <summary>Loads models, builds the generation plan from the options, runs it under a progress bar with Ctrl+C, writes PNGs with their parameters.</summary>
public static class GenerationRunner
{
    /// <summary>What a command does with the plan built from its options (txt2img runs it; img2img adds its init image first).</summary>
    public delegate GenerationResult Generate(GenerationPlan plan, Pipeline.Diffusion.Sampling.SamplingOptions options);

    /// <summary>The embedded model's defaults, or a checkpoint's (the CLI's rule: by whether --checkpoint was given).</summary>
    static GenerationDefaults Defaults(GenerationOptions s) => s.Checkpoint is null ? GenerationDefaults.Tiny : GenerationDefaults.FullSize;

    /// <summary>
    /// The plan of <paramref name="s"/>: names resolved through <paramref name="registry"/> (the CLI is an edge), sizes and
    /// micro-conditioning from the options, defaults as <see cref="Defaults"/>. <paramref name="size"/> overrides the
    /// width/height options (img2img: the input image's size).
    /// </summary>
    public static GenerationPlan Plan(GenerationOptions s, string prompt, long seed, SdxlModel model, SdxlModel? refiner, ComponentRegistry registry,
        ImageSize? size = null)
    {
        var d = Defaults(s);
        var imageSize = size ?? new ImageSize(s.Height ?? d.Size.Height, s.Width ?? d.Size.Width);
        var micro = new MicroConditioning(OptionParsing.Size(s.OriginalSize, "--original-size") ?? imageSize, OptionParsing.Crop(s.Crop),
            OptionParsing.Size(s.TargetSize, "--target-size") ?? imageSize);
        var samplerName = s.Sampler ?? d.Sampler;
        var cfg = s.Cfg ?? d.CfgScale;
        var plan = new GenerationPlan(model, PromptRow.Repeat(prompt, s.Negative, micro, s.Batch), imageSize,
                registry.Schedule(s.Schedule, s.Steps ?? d.Steps), registry.Sampler(samplerName), CfgScale.Guider(cfg), seed)
            { Names = new ComponentNames(samplerName, s.Schedule) };
        if (refiner is null) return plan;
        var mode = RefinerModeOf(s);
        var refine = new RefinerStep(refiner, mode, s.RefinerAt ?? (mode == Stages.RefinerMode.Handoff ? 0.8 : 0.3), plan.Sampler, plan.Guider)
            { SamplerName = samplerName };
        return plan with { Refiner = refine };
    }

    static Stages.RefinerMode RefinerModeOf(GenerationOptions s) => s.RefinerMode.ToLowerInvariant() switch
    {
        "handoff" => Stages.RefinerMode.Handoff,
        "sdedit" => Stages.RefinerMode.SDEdit,
        _ => throw new ArgumentException($"unknown --refiner-mode '{s.RefinerMode}'; valid: handoff, sdedit"),
    };

    public static int Run(GenerationOptions s, string prompt, CancellationToken cancellation, Generate generate, ImageSize? size = null) =>
        CliErrors.Guard(() =>
        {
            var dtype = OptionParsing.DType(s.DType);
            var device = OptionParsing.Device(s.Device);
            RefinerModeOf(s);
            var snapshot = PluginHost.LoadOnce();
            PluginsCommand.WarnAboutFailures(snapshot);
            var registry = snapshot.Registry;
            var d = Defaults(s);
            _ = registry.Sampler(s.Sampler ?? d.Sampler);
            _ = registry.Schedule(s.Schedule, s.Steps ?? d.Steps);
            var imageSize = size ?? new ImageSize(s.Height ?? d.Size.Height, s.Width ?? d.Size.Width);
            var early = PlanValidation.SizeProblems(imageSize, s.Batch);
            if (s.Cfg is { } c && !(double.IsFinite(c) && c >= 0)) early = early.Append($"cfg scale {c} must be finite and >= 0").ToList();
            if (early.Count > 0) throw new ArgumentException("invalid generation settings: " + string.Join("; ", early));
            OptionParsing.Size(s.OriginalSize, "--original-size");
            OptionParsing.Crop(s.Crop);
            OptionParsing.Size(s.TargetSize, "--target-size");

            var checkpoint = s.Checkpoint ?? EmbeddedModels.Base ?? throw new CliException(EmbeddedModels.MissingMessage);
            var seed = s.Seed ?? Random.Shared.NextInt64(0, 1L << 32);
            TorchRuntime.Configure(s.Threads is { } t ? new RuntimeSettings(t) : RuntimeSettings.Default);
            using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cts.Cancel(); };
            Console.CancelKeyPress += onCancel;
            try
            {
                using var model = AnsiConsole.Status().Start($"loading {Path.GetFileName(checkpoint)}", _ => SdxlModel.Load(checkpoint, device: device, dtype: dtype));
                using var refiner = s.Refiner is null ? null
                    : AnsiConsole.Status().Start($"loading {Path.GetFileName(s.Refiner)}", _ => SdxlModel.Load(s.Refiner, device: device, dtype: dtype));
                var plan = Plan(s, prompt, seed, model, refiner, registry, size).Validate();
                using var result = SamplingProgress.Run($"{plan.Names.Sampler} × {plan.Sigmas.Steps}", plan.TotalSteps, cts.Token, options =>
                    generate(plan, options));
                if (result.PromptTokensDropped > 0)
                    AnsiConsole.MarkupLine($"[yellow]warning:[/] the prompt is longer than 75 tokens; {result.PromptTokensDropped} tokens were dropped");
                for (int i = 0; i < plan.BatchSize; i++)
                {
                    var path = plan.BatchSize == 1 ? s.Out : Path.ChangeExtension(s.Out, null) + $"-{i}" + Path.GetExtension(s.Out);
                    using var image = result.Images[i];
                    PngImage.WriteAtomically(path, PngImage.Encode(image, result.Parameters[i]));
                    AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(path)}[/] (seed {plan.Seed})");
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
