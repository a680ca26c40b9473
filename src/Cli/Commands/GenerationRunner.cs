using System.Collections.Immutable;
using Pipeline.Cli.Options;
using Pipeline.Cli.Rendering;
using Pipeline.Components;
using Pipeline.Conditioning;
using Pipeline.Diffusion.Guidance;
using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Plugins.Hosting;
using Pipeline.Runtime;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary>
/// The image commands' edge: checks everything that needs no model (option values, registry names, sizes against the
/// model read from its header), then loads, builds one <see cref="GenerationPlan"/>, runs it under a progress display
/// with Ctrl+C and writes PNGs with their parameters.
/// </summary>
public static class GenerationRunner
{
    /// <summary>What a command does with the plan built from its options (txt2img runs it; img2img adds its init image first).</summary>
    public delegate GenerationResult Generate(GenerationPlan plan, Pipeline.Diffusion.Sampling.SamplingOptions options);

    /// <summary>
    /// The plan of <paramref name="s"/>: names resolved through <paramref name="registry"/> (the CLI is an edge), sizes and
    /// micro-conditioning from the options, defaults from the model (<see cref="GenerationDefaults.For(SdxlModel)"/>).
    /// <paramref name="size"/> overrides the width/height options (img2img: the input image's size).
    /// </summary>
    public static GenerationPlan Plan(GenerationOptions s, string prompt, long seed, SdxlModel model, SdxlModel? refiner, ComponentRegistry registry,
        ImageSize? size = null, Stages.PromptOptions? prompting = null)
    {
        var d = GenerationDefaults.For(model);
        var imageSize = size ?? new ImageSize(s.Height ?? d.Size.Height, s.Width ?? d.Size.Width);
        var micro = new MicroConditioning(OptionParsing.Size(s.OriginalSize, "--original-size") ?? imageSize, OptionParsing.Crop(s.Crop),
            OptionParsing.Size(s.TargetSize, "--target-size") ?? imageSize);
        var samplerName = s.Sampler ?? d.Sampler;
        var cfg = s.Cfg ?? d.CfgScale;
        var plan = new GenerationPlan(model, PromptRow.Repeat(prompt, s.Negative, micro, s.Batch), imageSize,
                registry.Schedule(s.Schedule, s.Steps ?? d.Steps), registry.Sampler(samplerName), GuiderOf(s, cfg, registry), seed)
            { Names = new ComponentNames(samplerName, s.Schedule), Prompting = prompting ?? s.PromptOptions() };
        if (s.HiresSize(imageSize) is { } hiresSize)
            plan = plan.WithHires(new HiresStep(hiresSize, HiresUpscalers.Parse(s.HiresUpscaler), registry.Schedule(s.Schedule, s.HiresSteps ?? s.Steps ?? d.Steps), s.HiresStrength));
        if (refiner is null) return plan;
        var mode = GenerationOptions.ParseRefinerMode(s.RefinerMode);
        var refine = new RefinerStep(refiner, mode, s.RefinerAt ?? (mode == Stages.RefinerMode.Handoff ? 0.8 : 0.3), plan.Sampler, plan.Guider)
            { SamplerName = samplerName };
        return plan with { Refiner = refine };
    }

    /// <summary>Plain CFG keeps today's rule (scale 1 is the conditional prediction alone); any other guider comes from the registry.</summary>
    static Pipeline.Diffusion.Guidance.IGuider GuiderOf(GenerationOptions s, double cfg, ComponentRegistry registry) =>
        string.Equals(s.Guider, "vanilla_cfg", StringComparison.OrdinalIgnoreCase) ? CfgScale.Guider(cfg) : registry.Guider(s.Guider, cfg);

    public static int Run(string command, GenerationOptions s, string prompt, CancellationToken cancellation, Generate generate,
        Func<ImageSize>? size = null) =>
        CliErrors.Guard(() =>
        {
            // Everything here is cheap (option forms, registry names, the checkpoint's header, an image's header);
            // models load only after.
            OptionParsing.CheckDType(s.DType);
            var device = OptionParsing.Device(s.Device);
            var checkpoint = s.Checkpoint ?? EmbeddedModels.Base ?? throw new CliException(EmbeddedModels.MissingMessage);
            var snapshot = PluginHost.LoadOnce();
            PluginsCommand.WarnAboutFailures(snapshot);
            var registry = snapshot.Registry;   // also resolves a checkpoint's scaling when a plugin provides it
            var config = SdxlModel.ReadConfig(checkpoint, registry);
            if (config.Kind != SdxlModelKind.Base) throw new CliException($"{checkpoint} is an SDXL refiner; give it as --refiner and a base model as --checkpoint");
            if (config.IsInpainting && command != "inpaint")
                throw new CliException($"{checkpoint} is an inpainting model (9 UNet input channels); use 'sdxl inpaint IMAGE MASK \"<prompt>\"' with it");
            if (s.Refiner is not null && SdxlModel.ReadConfig(s.Refiner, registry).Kind != SdxlModelKind.Refiner)
                throw new CliException($"--refiner {s.Refiner} is not an SDXL refiner model");
            var dtype = OptionParsing.DType(s.DType, config, device);
            if (string.Equals(s.DType, "int8", StringComparison.OrdinalIgnoreCase) && device.type != TorchSharp.DeviceType.CPU)
                throw new CliException("--dtype int8 runs on the CPU only (fbgemm); use bf16 on the GPU");
            var vaeDType = s.VaeDType == "auto" ? Pipeline.Runtime.ComputePrecision.AutoVae(config, device).DType : OptionParsing.DType(s.VaeDType);
            var d = GenerationDefaults.For(config);
            _ = registry.Sampler(s.Sampler ?? d.Sampler);
            _ = registry.Schedule(s.Schedule, s.Steps ?? d.Steps);
            _ = GuiderOf(s, s.Cfg ?? d.CfgScale, registry);
            var imageSize = size?.Invoke() ?? new ImageSize(s.Height ?? d.Size.Height, s.Width ?? d.Size.Width);
            // The prompts are read (syntax, embeddings named, extra-network tags) before any model loads.
            var prompting = s.PromptOptions();
            var promptTokens = Stages.PromptTokenizer.Run(new[] { new PromptRow(prompt, s.Negative, MicroConditioning.ForImage(imageSize)) }, prompting);
            var tags = promptTokens.Prompt.Concat(promptTokens.Negative).SelectMany(t => t.Networks).Distinct().ToList();
            if (Pipeline.Adapters.LoraTags.UnsupportedKinds(tags) is { } unsupported) throw new CliException(unsupported);
            var adapters = AdapterOptions.Resolve(s.Lora, s.LoraDir, tags, config);
            var outputSize = s.HiresSize(imageSize) ?? imageSize;
            var early = PlanValidation.SizeProblems(imageSize, s.Batch).Concat(ModelLimits.For(d).SizeProblems(outputSize, config.Name)).ToList();
            if (early.Count > 0) throw new CliException(string.Join("; ", early));
            // Peak memory for this model, dtype, batch and size against what the machine has, still before any load.
            var refinerConfig = s.Refiner is null ? null : SdxlModel.ReadConfig(s.Refiner, registry);
            var refinerAdapters = refinerConfig is null ? ImmutableArray<Pipeline.Adapters.AdapterUse>.Empty
                : AdapterOptions.Resolve(s.RefinerLora, null, Array.Empty<Pipeline.Tokenize.Prompts.ExtraNetworkTag>(), refinerConfig, "--refiner-lora");
            var decode = s.VaeTile > 0 ? new DecodeOptions(new Pipeline.Models.Vae.TiledDecodeSettings(s.VaeTile)) : DecodeOptions.Default;
            var estimate = MemoryEstimate.For(config, outputSize, s.Batch, dtype, guided: (s.Cfg ?? d.CfgScale) > 1.0, decode: decode, refiner: refinerConfig);
            if (s.LoraApply != "on-the-fly")
            {
                // The base's merge is undone before the refiner's is made: the larger of the two weight copies is held at once.
                var (withBase, withRefiner) = (estimate.WithMergedAdapters(adapters, dtype), estimate.WithMergedAdapters(refinerAdapters, dtype));
                estimate = withBase.Weights >= withRefiner.Weights ? withBase : withRefiner;
            }
            if (estimate.Problem(Pipeline.Diagnostics.AvailableMemory.Bytes(), outputSize, s.Batch, dtype, canTile: s.VaeTile == 0, tilingHint: "--vae-tile 64") is { } tooLarge)
                throw new CliException(tooLarge);
            long seed = s.Seed is null or -1 ? Random.Shared.NextInt64(0, 1L << 32) : s.Seed.Value;
            var outPath = s.Out ?? OutputPaths.Default(command, seed);
            var outDirectory = Path.GetDirectoryName(Path.GetFullPath(outPath))!;
            foreach (var path in OutputPaths.ForBatch(outPath, s.Batch)) Pipeline.IO.OutputTarget.Check(path);
            if (s.Preview is { } previewPath) Pipeline.IO.OutputTarget.Check(previewPath);
            bool needTaesd = s.Decoder == "taesd" || (s.Preview is not null && s.PreviewMode == "taesd");
            var taesdPath = s.Taesd ?? (s.Checkpoint is null ? EmbeddedModels.Taesd : null);
            if (needTaesd && taesdPath is null)
                throw new CliException("--decoder taesd and --preview-mode taesd need --taesd FILE (a TAESD-layout decoder such as taesdxl_decoder.safetensors) with a --checkpoint");

            if (s.Preview is not null && s.PreviewMode == "sdxl" && !Pipeline.Stages.LatentPreview.IsSdxlLatentSpace(config.Vae))
                throw new CliException("--preview-mode sdxl uses the factors published for the released SDXL VAE; this model's VAE is another (use --preview-mode linear, fitted to it)");

            TorchRuntime.Configure(s.Threads is { } t ? new RuntimeSettings(t) : RuntimeSettings.ForModel(Math.Max(d.Size.Height, d.Size.Width)));
            // The tiny decoder is small: read (strictly) before the model, so a bad file fails first.
            using var taesd = needTaesd ? Pipeline.Models.Vae.TaesdDecoder.Load(taesdPath!, device) : null;
            if (taesd is not null && taesd.LatentChannels != config.Vae.EmbedDim)
                throw new CliException($"--taesd {taesdPath} decodes {taesd.LatentChannels} latent channels, the model makes {config.Vae.EmbedDim}");
            using var taesdEncoder = s.TaesdEncoder is { } encoderPath ? Pipeline.Models.Vae.TaesdEncoder.Load(encoderPath, device) : null;
            if (taesdEncoder is not null && taesdEncoder.LatentChannels != config.Vae.EmbedDim)
                throw new CliException($"--taesd-encoder {s.TaesdEncoder} makes {taesdEncoder.LatentChannels} latent channels, the model takes {config.Vae.EmbedDim}");
            using var ctrlC = new CtrlC(cancellation);
            try
            {
                using var model = AnsiConsole.Status().Start($"loading {Path.GetFileName(checkpoint)}", _ => SdxlModel.Load(checkpoint, device: device, dtype: dtype, registry: registry, vaeDType: vaeDType));
                using var int8 = string.Equals(s.DType, "int8", StringComparison.OrdinalIgnoreCase) ? model.QuantizeLinears() : null;
                using var refiner = s.Refiner is null ? null
                    : AnsiConsole.Status().Start($"loading {Path.GetFileName(s.Refiner)}", _ => SdxlModel.Load(s.Refiner, device: device, dtype: dtype, registry: registry, vaeDType: vaeDType));
                var plan = Plan(s, prompt, seed, model, refiner, registry, imageSize, prompting);
                plan = (plan with
                {
                    Adapters = adapters,
                    Refiner = plan.Refiner is { } refine ? refine with { Adapters = refinerAdapters } : null,
                    AdapterApplication = s.LoraApply == "on-the-fly" ? Pipeline.Adapters.AdapterApplication.OnTheFly : Pipeline.Adapters.AdapterApplication.Merged,
                }).Validate();
                if (s.VaeTile > 0) plan = plan with { Decode = plan.Decode with { Tiling = decode.Tiling } };
                if (s.Decoder == "taesd") plan = plan with { Decode = plan.Decode with { Taesd = taesd } };
                if (taesdEncoder is not null) plan = plan with { Encode = plan.Encode with { Taesd = taesdEncoder } };
                var preview = s.Preview is null ? null : LivePreview.For(model, s.Preview, s.PreviewEvery, s.PreviewMode, taesd);
                using var result = SamplingProgress.Run($"{plan.Names.Sampler} × {plan.Sigmas.Steps}", plan.TotalSteps, ctrlC.Token, options =>
                    generate(plan, preview is null ? options : options with { OnStep = preview.Then(options.OnStep) }));
                if (result.PromptTokensDropped > 0)
                    AnsiConsole.MarkupLine($"[yellow]warning:[/] the prompt is longer than 75 tokens; {result.PromptTokensDropped} tokens were dropped");
                Directory.CreateDirectory(outDirectory);
                var paths = OutputPaths.ForBatch(outPath, plan.BatchSize);
                for (int i = 0; i < plan.BatchSize; i++)
                {
                    var path = paths[i];
                    using var image = result.Images[i];
                    PngImage.WriteAtomically(path, PngImage.Encode(image, result.Parameters[i]));
                    AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(path)}[/] (seed {plan.Seed})");
                }
                return ExitCodes.Ok;
            }
            catch (OperationCanceledException)
            {
                AnsiConsole.MarkupLine("[yellow]cancelled[/]: stopped between steps; no image written");
                return ExitCodes.Cancelled;
            }
        });
}
