using System.ComponentModel;
using System.Diagnostics;
using Pipeline.Cli.Options;
using Pipeline.Models.Bundles;
using Pipeline.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl make-checkpoint</c>: a random-weight checkpoint in the released single-file layout (benchmarks, load tests).</summary>
public sealed class MakeCheckpointCommand : Command<MakeCheckpointCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--config <NAME>")] [Description("sdxl-base | sdxl-refiner | tiny-base | tiny-refiner")] [DefaultValue("sdxl-base")] public string Config { get; init; } = "sdxl-base";
        [CommandOption("--storage <TYPE>")] [Description("fp16 | bf16 | fp32 (the released files are fp16)")] [DefaultValue("fp16")] public string Storage { get; init; } = "fp16";
        [CommandOption("--out <FILE>")] [Description("The .safetensors file to write")] [DefaultValue("random-sdxl-base.safetensors")] public string Out { get; init; } = "random-sdxl-base.safetensors";
        [CommandOption("--seed <N>")] [Description("Seed of the random weights")] [DefaultValue(0L)] public long Seed { get; init; } = 0;
        [CommandOption("--scaling <NAME>")] [Description("What the network predicts: a registered scaling (eps, v, edm, v_edm_cnoise, …); default: the config's (eps)")] public string? Scaling { get; init; }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CliErrors.Guard(() =>
        {
            var registry = Pipeline.Plugins.Hosting.PluginHost.LoadOnce().Registry;
            var config = SdxlModelConfig.ByName(s.Config);
            if (s.Scaling is not null) config = config with { Scaling = registry.Scaling(s.Scaling) };
            var storage = OptionParsing.DType(s.Storage);
            TorchRuntime.Configure(RuntimeSettings.Default);
            TorchSharp.torch.manual_seed(s.Seed);
            var clock = Stopwatch.StartNew();
            // Built directly in the storage dtype (the VAE stays fp32 and is converted while writing): no full-precision copy.
            using (var model = AnsiConsole.Status().Start($"building {config.Name} with random weights", _ => SdxlModel.Create(config, dtype: storage)))
                AnsiConsole.Status().Start($"writing {s.Out}", _ => model.Save(s.Out, storage, registry: registry));
            AnsiConsole.MarkupLine($"wrote [green]{Markup.Escape(s.Out)}[/] ({new FileInfo(s.Out).Length / 1e9:F2} GB) in {clock.Elapsed.TotalSeconds:F1} s");
            return 0;
        });
}
