using static TorchSharp.torch;

namespace Pipeline.Server;

/// <summary>What <c>sdxl serve</c> runs with. Everything is checked by <see cref="Problems"/> before a model loads.</summary>
public sealed record ServerSettings
{
    /// <summary>Address to bind; anything but loopback without an <see cref="ApiKey"/> is warned about.</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>TCP port (0: any free port; the bound one is in <see cref="SdxlServer.Address"/>).</summary>
    public int Port { get; init; } = 7860;

    /// <summary>Base checkpoints the API can switch between (<c>/sdapi/v1/options</c>); the first is loaded at start.
    /// Empty: the embedded default.</summary>
    public IReadOnlyList<string> Checkpoints { get; init; } = Array.Empty<string>();

    /// <summary>A refiner checkpoint for A1111's <c>refiner_checkpoint</c> / <c>refiner_switch_at</c> (null: none).</summary>
    public string? Refiner { get; init; }

    /// <summary>Requests waiting or running at most; one more is answered 429 with Retry-After.</summary>
    public int MaxQueue { get; init; } = 8;

    /// <summary>Required as <c>Authorization: Bearer KEY</c> on every route when set.</summary>
    public string? ApiKey { get; init; }

    /// <summary>A request that has not finished after this long (queue wait included) is cancelled and answered 504.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromMinutes(30);

    /// <summary>Request bodies above this many bytes are refused with 413.</summary>
    public long MaxBodyBytes { get; init; } = 64L << 20;

    /// <summary>Plugin folders, watched: a change reloads the registry between requests.</summary>
    public IReadOnlyList<string> PluginDirectories { get; init; } = Plugins.Hosting.PluginDirectories.Default();

    public bool HotReload { get; init; } = true;

    /// <summary>A live preview (latent→RGB of the current estimate) is made every this many steps (0: never).</summary>
    public int PreviewEvery { get; init; } = 5;

    /// <summary>Largest width or height a request may ask for.</summary>
    public int MaxImageSide { get; init; } = 2048;

    /// <summary>Largest batch_size × n_iter a request may ask for.</summary>
    public int MaxImagesPerRequest { get; init; } = 16;

    public Device? Device { get; init; }

    /// <summary>Compute dtype; null: <see cref="Runtime.ComputePrecision.Auto(Models.Bundles.SdxlModelConfig, Device?)"/> per checkpoint.</summary>
    public ScalarType? DType { get; init; }

    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (string.IsNullOrWhiteSpace(Host)) p.Add("the host is empty");
        if (Port is < 0 or > 65535) p.Add($"port {Port} must be in 0..65535");
        if (MaxQueue < 1 || MaxQueue > 10_000) p.Add($"max queue {MaxQueue} must be in 1..10000");
        if (RequestTimeout <= TimeSpan.Zero) p.Add($"request timeout {RequestTimeout} must be positive");
        if (MaxBodyBytes < 1024) p.Add($"the body limit {MaxBodyBytes} bytes is below 1 KiB");
        if (PreviewEvery < 0) p.Add($"preview every {PreviewEvery} steps must be >= 0");
        if (MaxImageSide < 8) p.Add($"the largest image side {MaxImageSide} is below 8");
        if (MaxImagesPerRequest < 1) p.Add($"images per request {MaxImagesPerRequest} must be >= 1");
        if (ApiKey is { } key && string.IsNullOrWhiteSpace(key)) p.Add("the API key is empty");
        foreach (var c in Checkpoints.Where(c => !File.Exists(c))) p.Add($"no such checkpoint: {c}");
        if (Refiner is { } r && !File.Exists(r)) p.Add($"no such refiner checkpoint: {r}");
        return p;
    }

    /// <summary>Whether <see cref="Host"/> is a loopback address (localhost, 127.x, ::1).</summary>
    public bool IsLoopback =>
        string.Equals(Host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (System.Net.IPAddress.TryParse(Host, out var ip) && System.Net.IPAddress.IsLoopback(ip));
}
