using System.ComponentModel;
using Pipeline.Cli.Options;
using Pipeline.Server;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl serve</c>: the HTTP server (A1111's API, the plan API, live plugin reload) until Ctrl+C.</summary>
public sealed class ServeCommand : Command<ServeCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--host <ADDRESS>")] [Description("Address to listen on (another than loopback without --api-key prints a warning)")] [DefaultValue("127.0.0.1")] public string Host { get; init; } = "127.0.0.1";
        [CommandOption("--port <PORT>")] [Description("TCP port (0: any free one, printed)")] [DefaultValue(7860)] public int Port { get; init; } = 7860;
        [CommandOption("--checkpoint <FILE>")] [Description("SDXL base checkpoint; repeat for several (switched with /sdapi/v1/options); the first is used at start (default: the embedded model)")] public string[] Checkpoints { get; init; } = Array.Empty<string>();
        [CommandOption("--refiner <FILE>")] [Description("SDXL refiner checkpoint for requests with refiner_checkpoint (default: none)")] public string? Refiner { get; init; }
        [CommandOption("--max-queue <N>")] [Description("Requests waiting or running at most; more are answered 429 with Retry-After")] [DefaultValue(8)] public int MaxQueue { get; init; } = 8;
        [CommandOption("--api-key <KEY>")] [Description("Require 'Authorization: Bearer KEY' on every route (default: none; also read from SDXL_API_KEY)")] public string? ApiKey { get; init; }
        [CommandOption("--timeout <SECONDS>")] [Description("A request not finished after this long (queue wait included) is cancelled and answered 504")] [DefaultValue(1800)] public int Timeout { get; init; } = 1800;
        [CommandOption("--max-body-mb <MB>")] [Description("Request bodies above this size are answered 413")] [DefaultValue(64)] public int MaxBodyMegabytes { get; init; } = 64;
        [CommandOption("--preview-every <N>")] [Description("Live preview (latent→RGB of the current estimate, in /sdapi/v1/progress and /v1/events) every N steps; 0: none")] [DefaultValue(5)] public int PreviewEvery { get; init; } = 5;
        [CommandOption("--no-hot-reload")] [Description("Do not watch the plugin folders (default: a change reloads plugins between requests)")] public bool NoHotReload { get; init; }
        [CommandOption("--dtype <TYPE>")] [Description("auto | fp32 | bf16 | fp16 (UNet and text encoders; the VAE stays fp32). auto: bf16 for full-size models on a CPU with native bf16 or a GPU, fp32 otherwise")] [DefaultValue("auto")] public string DType { get; init; } = "auto";
        [CommandOption("--device <DEVICE>")] [Description("cpu | cuda | cuda:N")] [DefaultValue("cpu")] public string Device { get; init; } = "cpu";
        [CommandOption("--threads <N>")] [Description("libtorch CPU threads (default: 1 for small models such as the embedded one, one per core for full-size models)")] public int? Threads { get; init; }

        public override Spectre.Console.ValidationResult Validate()
        {
            var problems = new List<string>();
            if (Port is < 0 or > 65535) problems.Add($"--port must be in 0..65535, got {Port}");
            if (MaxQueue is < 1 or > 10_000) problems.Add($"--max-queue must be in 1..10000, got {MaxQueue}");
            if (Timeout < 1) problems.Add($"--timeout must be at least 1 second, got {Timeout}");
            if (MaxBodyMegabytes is < 1 or > 4096) problems.Add($"--max-body-mb must be in 1..4096, got {MaxBodyMegabytes}");
            if (PreviewEvery < 0) problems.Add($"--preview-every must be 0 or more, got {PreviewEvery}");
            if (Host != "localhost" && !System.Net.IPAddress.TryParse(Host, out _)) problems.Add($"--host '{Host}' is not an IP address (or localhost)");
            foreach (var c in Checkpoints.Where(c => !File.Exists(c))) problems.Add($"no such checkpoint: {c}");
            if (Refiner is { } r && !File.Exists(r)) problems.Add($"no such refiner: {r}");
            if (OptionParsing.ThreadsProblem(Threads) is { } t) problems.Add(t);
            try { OptionParsing.CheckDType(DType); OptionParsing.Device(Device); }
            catch (Exception e) when (e is ArgumentException or CliException) { problems.Add(e.Message); }
            return problems.Count == 0 ? Spectre.Console.ValidationResult.Success() : Spectre.Console.ValidationResult.Error(string.Join("; ", problems));
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CliErrors.Guard(() =>
        {
            var settings = new ServerSettings
            {
                Host = s.Host, Port = s.Port, Checkpoints = s.Checkpoints, Refiner = s.Refiner, MaxQueue = s.MaxQueue,
                ApiKey = s.ApiKey ?? (Environment.GetEnvironmentVariable("SDXL_API_KEY") is { Length: > 0 } k ? k : null),
                RequestTimeout = TimeSpan.FromSeconds(s.Timeout), MaxBodyBytes = (long)s.MaxBodyMegabytes << 20, PreviewEvery = s.PreviewEvery,
                HotReload = !s.NoHotReload, Device = OptionParsing.Device(s.Device),
                DType = string.Equals(s.DType, "auto", StringComparison.OrdinalIgnoreCase) ? null : OptionParsing.DType(s.DType),
            };
            var size = settings.Checkpoints.Count == 0 ? 64 : 1024;
            Pipeline.Runtime.TorchRuntime.Configure(s.Threads is { } t ? new Pipeline.Runtime.RuntimeSettings(t) : Pipeline.Runtime.RuntimeSettings.ForModel(size));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
            Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
            var server = SdxlServer.StartAsync(settings, line => Console.Error.WriteLine(line), cancel: stop.Token).GetAwaiter().GetResult();
            Console.Error.WriteLine("Ctrl+C stops the server");
            try { server.WaitForShutdownAsync(stop.Token).GetAwaiter().GetResult(); }
            catch (OperationCanceledException) { }
            server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            Console.Error.WriteLine("stopped");
            return ExitCodes.Ok;
        });
}
