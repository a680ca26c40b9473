using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pipeline.Components;
using Pipeline.Plugins.Hosting;
using Pipeline.Server.Api;
using Pipeline.Server.Hosting;
using Pipeline.Server.Http;
using Pipeline.Server.Queue;

namespace Pipeline.Server;

/// <summary>
/// <c>sdxl serve</c>: Kestrel with A1111's routes (<c>/sdapi/v1/…</c>), the plan API (<c>/v1/…</c>) and an OpenAPI
/// document (<c>/openapi/v1.json</c>), over one bounded generation queue. Plugins are watched: a reload swaps the registry
/// snapshot between requests (a request runs on the snapshot current when it arrived) and is logged.
/// </summary>
public sealed class SdxlServer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly PluginHost _plugins;

    internal ServerContext Context { get; }

    SdxlServer(WebApplication app, PluginHost plugins, ServerContext context) => (_app, _plugins, Context) = (app, plugins, context);

    /// <summary>Where the server listens (with the port chosen when <see cref="ServerSettings.Port"/> was 0).</summary>
    public Uri Address { get; private set; } = new("http://127.0.0.1/");

    /// <summary>Checks <paramref name="settings"/>, reads the checkpoints' headers and plugins, binds, and starts answering.
    /// The model loads on the first request (or now with <paramref name="warm"/>).</summary>
    public static async Task<SdxlServer> StartAsync(ServerSettings settings, Action<string>? log = null, bool warm = false, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Problems() is { Count: > 0 } problems) throw new ArgumentException(string.Join("; ", problems));
        log ??= _ => { };
        var plugins = new PluginHost(new PluginHostOptions(settings.PluginDirectories, HotReload: settings.HotReload));
        try
        {
            var models = new ModelHost(settings.Checkpoints, settings.Refiner, plugins.Current.Registry, settings.Device, settings.DType);
            var context = new ServerContext(settings, plugins, models, new GenerationQueue(settings.MaxQueue), new ProgressBoard(), new EventHub(), log);
            context.Remember(plugins.Current);
            plugins.Reloaded += context.OnReloaded;

            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.Services.AddOpenApi();
            builder.WebHost.ConfigureKestrel(k =>
            {
                k.Limits.MaxRequestBodySize = settings.MaxBodyBytes;
                k.AddServerHeader = false;
                if (string.Equals(settings.Host, "localhost", StringComparison.OrdinalIgnoreCase)) k.ListenLocalhost(settings.Port);
                else k.Listen(IPAddress.Parse(settings.Host), settings.Port);
            });
            var app = builder.Build();
            app.UseExceptionHandler(handler => handler.Run(async http =>
            {
                var error = http.Features.Get<Microsoft.AspNetCore.Diagnostics.IExceptionHandlerFeature>()?.Error;
                log($"error: {http.Request.Method} {http.Request.Path}: {error}");
                http.Response.StatusCode = StatusCodes.Status500InternalServerError;
                await http.Response.WriteAsJsonAsync(new { error = "internal error", detail = error?.Message ?? "unknown" });
            }));
            if (settings.ApiKey is { } key) app.Use(ApiKey.Check(key));
            app.MapOpenApi("/openapi/{documentName}.json");
            A1111Routes.Map(app, context);
            PlanRoutes.Map(app, context);
            var server = new SdxlServer(app, plugins, context);
            await app.StartAsync(cancel);
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            server.Address = new Uri(address.Replace("[::]", "localhost").Replace("0.0.0.0", "127.0.0.1"));
            if (!settings.IsLoopback && settings.ApiKey is null)
                log($"warning: listening on {settings.Host} without an API key: anyone who can reach this address can use the server (give --api-key)");
            log($"sdxl serve {ServerVersion.Text} on {server.Address} (plugins generation {plugins.Current.Generation}, queue {settings.MaxQueue}, model {models.Current.Title})");
            if (warm) await context.Queue.RunAsync(_ => models.Use(plugins.Current.Registry), cancel);
            return server;
        }
        catch
        {
            plugins.Dispose();
            throw;
        }
    }

    /// <summary>Until the app stops (Ctrl+C in the CLI, or <paramref name="cancel"/>).</summary>
    public Task WaitForShutdownAsync(CancellationToken cancel = default) => _app.WaitForShutdownAsync(cancel);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Context.Queue.Dispose();
        Context.Models.Dispose();
        _plugins.Dispose();
    }
}
