using System.ComponentModel;
using System.Diagnostics;
using Pipeline.Checkpoints;
using Pipeline.Components;
using Pipeline.Cli.Options;
using Pipeline.Diagnostics;
using Pipeline.Models.Bundles;
using Pipeline.Models.TextEncoders;
using Pipeline.Models.Unet;
using Pipeline.Models.Vae;
using Pipeline.Runtime;
using Spectre.Console;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>sdxl bench unet|vae|text|load|matmul</c>: seconds per evaluation, achieved GFLOP/s against the machine's fp32
/// matmul rate measured in the same run, and peak resident memory. A command, not a timed test.
/// </summary>
public sealed class BenchCommand : Command<BenchCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<target>")] [Description("image | unet | vae | text | load | matmul | host")] public string Target { get; init; } = "";
        [CommandOption("--config <NAME>")] [Description("sdxl-base | sdxl-refiner | tiny-base | tiny-refiner")] [DefaultValue("sdxl-base")] public string Config { get; init; } = "sdxl-base";
        [CommandOption("--checkpoint <FILE>")] [Description("Weights to use (load: the file to load; default: random weights)")] public string? Checkpoint { get; init; }
        [CommandOption("--latent <N>")] [Description("Latent height = width (64 = 512 px for SDXL)")] [DefaultValue(64)] public int Latent { get; init; } = 64;
        [CommandOption("--batch <N>")] [Description("UNet batch (2 = one CFG step)")] [DefaultValue(2)] public int Batch { get; init; } = 2;
        [CommandOption("--dtype <TYPE>")] [Description("fp32 | bf16 | fp16 | auto (what generation picks for --config) | int8, bf16+int8 (unet: fp32 or bf16 with fbgemm int8 Linear layers)")] [DefaultValue("fp32")] public string DType { get; init; } = "fp32";
        [CommandOption("--threads <N>")] [Description("libtorch CPU threads (default: one per core)")] public int? Threads { get; init; }
        [CommandOption("--evals <N>")] [Description("Timed evaluations after one warm-up")] [DefaultValue(2)] public int Evals { get; init; } = 2;
        [CommandOption("--steps <N>")] [Description("image: sampler steps")] [DefaultValue(4)] public int Steps { get; init; } = 4;
        [CommandOption("--cfg <X>")] [Description("image: CFG scale (at most 1: the unconditional half is skipped)")] [DefaultValue(5.0)] public double Cfg { get; init; } = 5.0;
        [CommandOption("--sampler <NAME>")] [Description("image: sampler")] [DefaultValue("euler")] public string Sampler { get; init; } = "euler";
        [CommandOption("--schedule <NAME>")] [Description("image: schedule")] [DefaultValue("legacy_ddpm")] public string Schedule { get; init; } = "legacy_ddpm";
        [CommandOption("--vae-dtype <TYPE>")] [Description("image: the VAE's dtype (fp32 | bf16)")] [DefaultValue("fp32")] public string VaeDType { get; init; } = "fp32";
        [CommandOption("--vae-tile <N>")] [Description("image: decode in tiles of N latent pixels (0: whole image)")] [DefaultValue(0)] public int VaeTile { get; init; }
        [CommandOption("--profile")] [Description("unet: after the timed evaluations, one more with every module timed (self time per kind of module)")] public bool Profile { get; init; }
        [CommandOption("--json")] [Description("image: print the report as JSON (stdout) instead of a table")] public bool Json { get; init; }

        public override ValidationResult Validate() =>
            Evals < 1 ? ValidationResult.Error($"--evals must be at least 1, got {Evals}")
            : Options.OptionParsing.ThreadsProblem(Threads) is { } threads ? ValidationResult.Error(threads)
            : Latent is < 1 or > 512 ? ValidationResult.Error($"--latent must be in 1..512, got {Latent}")
            : Batch is < 1 or > 64 ? ValidationResult.Error($"--batch must be in 1..64, got {Batch}")
            : Steps is < 1 or > 1000 ? ValidationResult.Error($"--steps must be in 1..1000, got {Steps}")
            : VaeTile != 0 && VaeTile is < 32 or > 512 ? ValidationResult.Error($"--vae-tile must be 0 (off) or in 32..512 latent pixels, got {VaeTile}")
            : !double.IsFinite(Cfg) || Cfg < 0 ? ValidationResult.Error($"--cfg must be finite and >= 0, got {Cfg}")
            : ValidationResult.Success();
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CliErrors.Guard(() =>
        {
            bool int8 = s.DType.ToLowerInvariant() is "int8" or "bf16+int8";
            if (int8 && s.Target.ToLowerInvariant() is not ("unet" or "image")) throw new ArgumentException("--dtype int8 / bf16+int8 (fbgemm int8 Linear layers) is measured by 'bench unet' and 'bench image' only");
            var dtype = int8 ? (s.DType.ToLowerInvariant() == "int8" ? ScalarType.Float32 : ScalarType.BFloat16) : string.Equals(s.DType, "auto", StringComparison.OrdinalIgnoreCase)
                ? ComputePrecision.Auto(s.Checkpoint is { } c && s.Target == "image" ? SdxlModel.ReadConfig(c) : SdxlModelConfig.ByName(s.Config)).DType
                : OptionParsing.DType(s.DType);
            var runtime = TorchRuntime.Configure(s.Threads is { } t ? new RuntimeSettings(t) : RuntimeSettings.Default);
            if (s.Evals < 1) throw new ArgumentException("--evals must be >= 1");
            if (!s.Json) AnsiConsole.MarkupLine($"[grey]threads {runtime.Threads}, OMP_WAIT_POLICY {runtime.OmpWaitPolicy}, dtype {dtype}[/]");
            return s.Target.ToLowerInvariant() switch
            {
                "matmul" => Matmul(),
                "image" => Image(s, dtype, runtime.Threads, int8),
                "unet" => Unet(s, dtype, int8),
                "vae" => Vae(s),
                "text" => Text(s, dtype),
                "load" => Load(s, dtype),
                "host" => Host(s),
                _ => throw new ArgumentException($"unknown bench target '{s.Target}'; valid: image, unet, vae, text, load, matmul, host"),
            };
        });

    static int Matmul()
    {
        AnsiConsole.MarkupLine($"fp32 matmul: [bold]{MatmulRate.GigaflopsPerSecond():F1}[/] GFLOP/s; bf16: {MatmulRate.GigaflopsPerSecond(dtype: ScalarType.BFloat16):F1} GFLOP/s");
        AnsiConsole.MarkupLine($"BLAS: {Markup.Escape(MklDispatch.Status)}");
        return 0;
    }

    /// <summary>A whole image, stage by stage (<see cref="ImageBenchmark"/>): --checkpoint, or random weights of --config.</summary>
    static int Image(Settings s, ScalarType dtype, int threads, bool int8)
    {
        var registry = Pipeline.Plugins.Hosting.PluginHost.LoadOnce().Registry;
        var sampler = registry.Sampler(s.Sampler);
        var schedule = registry.Schedule(s.Schedule, s.Steps);
        if (s.Checkpoint is { } path && SdxlModel.ReadConfig(path, registry).Kind != SdxlModelKind.Base)
            throw new ArgumentException($"{path} is not an SDXL base checkpoint");
        int side = s.Latent * 8;
        var report = ImageBenchmark.Run(
            () =>
            {
                var model = s.Checkpoint is { } file ? SdxlModel.Load(file, device: CPU, dtype: dtype, registry: registry, vaeDType: OptionParsing.DType(s.VaeDType))
                    : SdxlModel.Create(SdxlModelConfig.ByName(s.Config), CPU, dtype, OptionParsing.DType(s.VaeDType));
                if (int8) _ = model.QuantizeLinears(); // released when the benchmark disposes the model
                return model;
            },
            model => new Pipeline.Generation.GenerationPlan(model, Pipeline.Generation.PromptRow.For("a lighthouse on a cliff at dusk", new Pipeline.Conditioning.ImageSize(side, side)),
                new Pipeline.Conditioning.ImageSize(side, side), schedule, sampler, Pipeline.Diffusion.Guidance.CfgScale.Guider(s.Cfg), 1)
                {
                    Names = new Pipeline.Generation.ComponentNames(s.Sampler, s.Schedule),
                    Decode = s.VaeTile > 0 ? new Pipeline.Generation.DecodeOptions(new TiledDecodeSettings(s.VaeTile)) : Pipeline.Generation.DecodeOptions.Default,
                },
            threads);
        if (s.Json)
        {
            Console.Out.WriteLine(System.Text.Json.JsonSerializer.Serialize(new
            {
                model = report.Model, dtype = report.DType, threads = report.Threads, width = report.Size.Width, height = report.Size.Height,
                steps = report.Steps, guided = report.Guided, total_seconds = report.TotalSeconds,
                stages = report.Stages.Select(x => new { name = x.Name, seconds = x.Seconds, rss_bytes = x.ResidentBytes, peak_rss_bytes = x.PeakResidentBytes }),
                step_seconds = report.StepSeconds, unet_evaluations = report.UnetEvaluations, unet_gflop_per_evaluation = report.UnetGflopPerEvaluation,
                unet_gflops = report.UnetGflops, matmul_gflops = report.MatmulGflops, share_of_matmul_rate = report.ShareOfMatmulRate,
            }));
            return 0;
        }
        var rows = report.Stages.Select(x => ($"{x.Name}", $"{x.Seconds,8:F2} s   RSS {x.ResidentBytes / 1e9:F2} GB (peak {x.PeakResidentBytes / 1e9:F2} GB)")).ToList();
        rows.Add(("total", $"{report.TotalSeconds,8:F2} s"));
        rows.Add(("steps (s each)", string.Join(", ", report.StepSeconds.Select(t => t.ToString("F2", System.Globalization.CultureInfo.InvariantCulture)))));
        rows.Add(("UNet", $"{report.UnetEvaluations} evaluations × {report.UnetGflopPerEvaluation:F1} GFLOP = {report.UnetGflops:F1} GFLOP/s, {100 * report.ShareOfMatmulRate:F0} % of the {report.DType} matmul rate {report.MatmulGflops:F1} GFLOP/s (same run)"));
        Print($"image {report.Size.Width}x{report.Size.Height}, {report.Model}, {report.DType}, {s.Sampler} × {report.Steps}, CFG {s.Cfg}{(report.Guided ? "" : " (unconditional half skipped)")}, {threads} threads", rows);
        return 0;
    }

    static void Report(string what, IReadOnlyList<double> seconds, long flops)
    {
        double matmul = MatmulRate.GigaflopsPerSecond();
        var sorted = seconds.OrderBy(x => x).ToList();
        double median = sorted[sorted.Count / 2];
        double rate = flops / median / 1e9;
        Print(what, new (string, string)[]
        {
            ("s/eval (median of " + seconds.Count + ")", $"{median:F3}"), ("GFLOP/eval", $"{flops / 1e9:F2}"), ("achieved GFLOP/s", $"{rate:F1}"),
            ("fp32 matmul GFLOP/s (same run)", $"{matmul:F1}"), ("% of matmul rate", $"{100 * rate / matmul:F0} %"),
            ("peak RSS", $"{ProcessMemory.PeakResident() / 1e9:F2} GB"),
        });
    }

    static void Print(string title, IEnumerable<(string Key, string Value)> rows)
    {
        AnsiConsole.MarkupLine($"[bold]{Markup.Escape(title)}[/]");
        var grid = new Grid().AddColumn().AddColumn();
        foreach (var (k, v) in rows) grid.AddRow(Markup.Escape(k), Markup.Escape(v));
        AnsiConsole.Write(grid);
    }

    static List<double> Time(int evals, Action run)
    {
        run(); // warm-up
        var times = new List<double>();
        for (int i = 0; i < evals; i++)
        {
            var clock = Stopwatch.StartNew();
            run();
            times.Add(clock.Elapsed.TotalSeconds);
        }
        return times;
    }

    static int Unet(Settings s, ScalarType dtype, bool int8 = false)
    {
        var config = SdxlModelConfig.ByName(s.Config);
        using var noGrad = no_grad();
        using var unet = AnsiConsole.Status().Start("building the UNet", _ =>
        {
            if (s.Checkpoint is null) return new UNetModel(config.UNet, CPU, dtype);
            var m = new OpenAIWrapper(new UNetModel(config.UNet, META, dtype));
            using var file = SafeTensorsFile.Open(s.Checkpoint);
            StateDictLoader.Load(m, file, new LoadOptions(CheckpointLayout.UNetPrefix, CPU, dtype, k => !k.StartsWith("model.diffusion_model.")));
            return m.DiffusionModel;
        });
        unet.eval();
        using var quantized = int8 ? Pipeline.Models.Quantization.Int8Linears.Apply(unet) : null;
        int contextDim = config.UNet.ContextDim?[0] ?? 0;
        using var x = randn(s.Batch, config.UNet.InChannels, s.Latent, s.Latent);
        using var tsteps = full(new long[] { s.Batch }, 500L, ScalarType.Int64);
        using var context = randn(s.Batch, 77, contextDim);
        using var y = config.UNet.AdmInChannels is { } adm ? randn(s.Batch, adm) : null;
        void Evaluate()
        {
            using var scope = NewDisposeScope();
            _ = unet.Forward(x, tsteps, context, y)[0, 0, 0, 0].item<float>();
        }
        var times = Time(s.Evals, Evaluate);
        Report($"{config.Name} UNet {s.Latent}x{s.Latent} latents, batch {s.Batch}, {(int8 ? $"{dtype} with {quantized!.Count} int8 Linear layers" : dtype.ToString())}", times,
            UNetFlops.Count(config.UNet, s.Batch, s.Latent, s.Latent, 77).Total);
        if (s.Profile)
        {
            var rows = ModuleProfile.Measure(unet, Evaluate);
            double whole = rows.Sum(r => r.SelfSeconds);
            var table = new Table().AddColumn("module (self time)").AddColumn("calls").AddColumn("s").AddColumn("share");
            foreach (var r in rows.Take(24))
                table.AddRow(Markup.Escape(r.Kind), $"{r.Calls}", $"{r.SelfSeconds:F3}", $"{100 * r.SelfSeconds / whole:F1} %");
            table.AddRow("all", $"{rows.Sum(r => r.Calls)}", $"{whole:F3}", "100 %");
            AnsiConsole.Write(table);
        }
        return 0;
    }

    static int Vae(Settings s)
    {
        var config = SdxlModelConfig.ByName(s.Config);
        using var noGrad = no_grad();
        using var vae = new AutoencoderKL(config.Vae);
        vae.eval();
        using var z = randn(1, config.Vae.EmbedDim, s.Latent, s.Latent);
        long flops = FlopCounting.CountConvAndLinear(vae, () => { using var img = vae.Decode(z); });
        var times = Time(s.Evals, () => { using var img = vae.Decode(z); });
        Report($"{config.Name} VAE decode {s.Latent}x{s.Latent} → {s.Latent * config.Vae.DownscaleFactor} px (conv FLOPs)", times, flops);
        return 0;
    }

    static int Text(Settings s, ScalarType dtype)
    {
        var config = SdxlModelConfig.ByName(s.Config);
        using var noGrad = no_grad();
        using var conditioner = new Pipeline.Conditioning.GeneralConditioner(config.Conditioner, CPU, dtype);
        conditioner.eval();
        var tokens = Enumerable.Repeat(Pipeline.Tokenize.TokenizeStage.Run(new[] { "a photograph of an astronaut riding a horse" }), s.Batch).ToList();
        var rows = tokens.Select(t => new Pipeline.Conditioning.ConditionerInput(t.ClipL[0].Ids.ToArray(), t.OpenClip[0].Ids.ToArray(),
            new(1024, 1024), default, new(1024, 1024))).ToList();
        long flops = config.Conditioner.Embedders.Sum(e => e switch
        {
            Pipeline.Conditioning.FrozenCLIPEmbedderConfig c => FlopCounting.TextEncoder(c.Text, s.Batch, c.Text.Layers),
            Pipeline.Conditioning.FrozenOpenCLIPEmbedder2Config o => FlopCounting.TextEncoder(o.Text, s.Batch, o.Text.Layers),
            _ => 0L,
        });
        var times = Time(s.Evals, () =>
        {
            var c = conditioner.Forward(rows);
            c.CrossAttn?.Dispose();
            c.Vector?.Dispose();
        });
        Report($"{config.Name} conditioner (both text encoders), batch {s.Batch}, {dtype}", times, flops);
        return 0;
    }

    /// <summary>
    /// Per-step cost of the host path (registry snapshot, stages, guider composition, SamplerLoop scopes, progress
    /// callback) against a bare hand-written Euler + CFG loop over the same denoiser and network.
    /// </summary>
    static int Host(Settings s)
    {
        var config = SdxlModelConfig.ByName(s.Config == "sdxl-base" ? "tiny-base" : s.Config);
        using var model = SdxlModel.Create(config);
        var registry = Pipeline.Plugins.Hosting.PluginHost.LoadOnce().Registry;
        int steps = 20 * s.Evals;
        var plan = registry.TextToImage(model, "a red circle on a blue background", new(64, 64), "euler", "legacy_ddpm", steps, 2.0, 0);
        var sigmas = plan.Sigmas;
        using var noGrad = no_grad();
        using var conditioning = Pipeline.Stages.ConditionStage.Run(model.Conditioner, plan.Rows);
        var both = Pipeline.Conditioning.Conditioning.Concatenate(conditioning.Uncond, conditioning.Cond);
        void Bare()
        {
            using var scope = NewDisposeScope();
            var x = randn(1, 4, 8, 8, generator: new Generator(1)) * Math.Sqrt(1 + (double)sigmas[0] * sigmas[0]);
            for (int i = 0; i < steps; i++)
            {
                var sigma = full(new long[] { 2 }, sigmas[i]);
                var d = model.Denoiser.Denoise(model.Network, cat(new[] { x, x }), sigma, both).chunk(2);
                var denoised = d[0] + 2.0 * (d[1] - d[0]);
                x = x + (sigmas[i + 1] - sigmas[i]) * (x - denoised) / sigmas[i];
            }
        }
        int reported = 0;
        void Hosted()
        {
            using var latents = plan.RunLatents(new Pipeline.Generation.InlineProgress<Pipeline.Generation.PlanProgress>(_ => reported++));
        }
        var bare = Time(3, Bare);
        var hosted = Time(3, Hosted);
        double bareStep = bare.Min() / steps * 1000, hostedStep = hosted.Min() / steps * 1000;
        Print($"host overhead per step ({config.Name}, 64x64, CFG, {steps} steps, best of 3)", new (string, string)[]
        {
            ("bare loop ms/step", $"{bareStep:F3}"), ("host path ms/step (tokenize+condition+noise included)", $"{hostedStep:F3}"),
            ("difference ms/step", $"{hostedStep - bareStep:F3}"), ("relative", $"{100 * (hostedStep - bareStep) / bareStep:F1} %"),
        });
        return 0;
    }

    static int Load(Settings s, ScalarType dtype)
    {
        var path = s.Checkpoint ?? throw new ArgumentException("bench load needs --checkpoint <file> (write one with 'sdxl make-checkpoint')");
        long before = ProcessMemory.Resident();
        var clock = Stopwatch.StartNew();
        using var model = SdxlModel.Load(path, device: CPU, dtype: dtype);
        double seconds = clock.Elapsed.TotalSeconds;
        long weightBytes = new[] { (TorchSharp.torch.nn.Module)model.Conditioner, model.Network, model.FirstStage }
            .SelectMany(m => m.state_dict().Values).Sum(t => t.numel() * t.element_size());
        long peak = ProcessMemory.PeakResident();
        Print($"load {Path.GetFileName(path)} as {dtype}", new (string, string)[]
        {
            ("load time", $"{seconds:F1} s"), ("weights in memory", $"{weightBytes / 1e9:F2} GB"), ("RSS before", $"{before / 1e9:F2} GB"),
            ("peak RSS", $"{peak / 1e9:F2} GB"), ("peak − before", $"{(peak - before) / 1e9:F2} GB"),
            ("(peak − before) / weights", $"{(double)(peak - before) / weightBytes:F3}"),
        });
        return 0;
    }
}
