using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Models.Bundles;
using Pipeline.Server;
using Pipeline.Tests.Cli;
using Pipeline.Tests.Stages;

namespace Pipeline.Tests.Server;

/// <summary>A real <see cref="SdxlServer"/> (Kestrel on a free loopback port) over a tiny random-weight checkpoint, and an
/// <see cref="HttpClient"/> to it. The default plugin folders are used (the ComfyUI schedules give A1111's "Uniform").</summary>
sealed class ServerHarness : IAsyncDisposable
{
    readonly SdxlModel _model;
    public TinyCheckpointFolder Folder { get; }
    public SdxlServer Server { get; }
    public HttpClient Client { get; }
    public List<string> Log { get; }

    ServerHarness(SdxlModel model, TinyCheckpointFolder folder, SdxlServer server, List<string> log)
    {
        (_model, Folder, Server, Log) = (model, folder, server, log);
        Client = new HttpClient { BaseAddress = server.Address, Timeout = TimeSpan.FromMinutes(5) };
    }

    public static async Task<ServerHarness> Start(Func<ServerSettings, ServerSettings>? configure = null, Action<TinyCheckpointFolder>? prepare = null)
    {
        var model = SdxlModel.Create(TinyModels.Base);
        var folder = new TinyCheckpointFolder(model);
        prepare?.Invoke(folder);
        var log = new List<string>();
        var settings = new ServerSettings { Port = 0, Checkpoints = new[] { folder.Checkpoint }, HotReload = false };
        settings = configure?.Invoke(settings) ?? settings;
        var server = await SdxlServer.StartAsync(settings, line => { lock (log) log.Add(line); });
        return new ServerHarness(model, folder, server, log);
    }

    /// <summary>A small, fast txt2img body (32×40, 3 steps) with <paramref name="extra"/> fields on top.</summary>
    public static Dictionary<string, object?> Small(params (string Key, object? Value)[] extra)
    {
        var body = new Dictionary<string, object?> { ["prompt"] = "a red circle", ["width"] = 32, ["height"] = 40, ["steps"] = 3, ["seed"] = 5, ["cfg_scale"] = 2.0 };
        foreach (var (k, v) in extra) body[k] = v;
        return body;
    }

    public async Task<(int Status, JsonElement Json)> Post(string route, object body, CancellationToken cancel = default)
    {
        using var response = await Client.PostAsJsonAsync(route, body, cancel);
        var text = await response.Content.ReadAsStringAsync(cancel);
        return ((int)response.StatusCode, text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone());
    }

    public async Task<JsonElement> Get(string route)
    {
        using var response = await Client.GetAsync(route);
        Xunit.Assert.True(response.IsSuccessStatusCode, $"{route}: {(int)response.StatusCode}");
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        _model.Dispose();
        Folder.Dispose();
    }
}
