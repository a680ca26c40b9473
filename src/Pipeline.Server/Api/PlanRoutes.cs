using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Pipeline.Components;
using Pipeline.Generation;
using Pipeline.Server.A1111;
using Pipeline.Server.Hosting;
using Pipeline.Server.Http;

namespace Pipeline.Server.Api;

/// <summary>
/// The server's own routes: <c>/v1/generate</c> and <c>/v1/plan</c> take a plan as JSON in the CLI's terms (registry
/// names, the model's own defaults), <c>/v1/plugins</c> shows the registry snapshot and its generation, <c>/v1/events</c>
/// streams progress, previews and reloads as server-sent events.
/// </summary>
internal static class PlanRoutes
{
    public static void Map(WebApplication app, ServerContext c)
    {
        var v1 = app.MapGroup("/v1").WithTags("Plan API");
        v1.MapPost("/generate", (HttpContext http, CancellationToken _) => Generate(http, c, run: true))
            .WithSummary("Run a plan: prompt, negative, width, height, steps, sampler, schedule, cfg, seed, images, init_image, strength, mask, mask_blur (model defaults where absent)");
        v1.MapPost("/plan", (HttpContext http, CancellationToken _) => Generate(http, c, run: false))
            .WithSummary("The plan such a body makes, printed (nothing runs)");
        v1.MapGet("/plugins", () => Plugins(c)).WithSummary("The registry snapshot new requests run on: its generation, plugins and components");
        v1.MapGet("/events", (HttpContext http, CancellationToken _) => Events(http, c)).WithSummary("Server-sent events: started, progress, preview, finished, plugins");
    }

    static IResult Plugins(ServerContext c)
    {
        var s = c.Plugins.Current;
        return Results.Json(new
        {
            generation = s.Generation,
            plugins = s.Plugins.Select(p => new { name = p.Name, status = p.Status.ToString().ToLowerInvariant(), reason = p.Reason, components = p.Registered.Select(r => $"{r.Kind}:{r.Name}") }),
            components = s.Registry.All().GroupBy(r => r.Kind.ToString()).ToDictionary(g => g.Key, g => g.Select(r => new { name = r.Name, origin = r.Origin, description = r.Description })),
        }, ApiResults.Json);
    }

    static async Task<IResult> Generate(HttpContext http, ServerContext c, bool run)
    {
        var (document, problem) = await ApiResults.ReadJson(http.Request, http.RequestAborted);
        if (problem is not null) return problem;
        using (document)
        {
            A1111Job job;
            try { job = A1111Job.Prepare(Parse(document!.RootElement, c), c.Snapshot(), c.Models, c.Settings); }
            catch (RequestValidationException e) { return ApiResults.Unprocessable(e.Errors); }
            using (job)
            {
                if (!run)
                {
                    var (text, failure) = await JobExecution.Run(http, c, _ =>
                    {
                        var model = c.Models.Use(job.Snapshot.Registry, job.Checkpoint);
                        return A1111Runner.Plan(job, model, null, job.Seed).Validate().Describe();
                    });
                    return failure ?? Results.Json(new { plan = text, plugins_generation = job.Snapshot.Generation }, ApiResults.Json);
                }
                var (result, error) = await JobExecution.Run(http, c, job);
                if (error is not null) return error;
                return Results.Json(new
                {
                    images = result!.Pngs.Select(Convert.ToBase64String),
                    parameters = result.Infotexts,
                    seeds = result.Seeds,
                    interrupted = result.Interrupted,
                    plugins_generation = job.Snapshot.Generation,
                }, ApiResults.Json);
            }
        }
    }

    /// <summary>The plan body in the CLI's terms, as the request the runner takes.</summary>
    static A1111Request Parse(JsonElement body, ServerContext c)
    {
        var f = new JsonFields(body);
        var d = GenerationDefaults.For(c.Models.Current.Config);
        int max = c.Settings.MaxImageSide;
        var init = f.String("init_image");
        var r = new A1111Request
        {
            IsImg2Img = init is not null,
            Body = body.Clone(),
            Prompt = f.String("prompt", "")!,
            NegativePrompt = f.String("negative", "")!,
            Width = (int)f.Integer("width", d.Size.Width, 8, max),
            Height = (int)f.Integer("height", d.Size.Height, 8, max),
            Steps = (int)f.Integer("steps", d.Steps, 1, 1000),
            SamplerName = f.String("sampler", d.Sampler),
            Scheduler = f.String("schedule", d.Schedule),
            CfgScale = f.Number("cfg", d.CfgScale, 0, 100),
            Seed = f.Integer("seed", -1, -1, uint.MaxValue),
            NIter = (int)f.Integer("images", 1, 1, c.Settings.MaxImagesPerRequest),
            InitImages = init is null ? Array.Empty<string>() : new[] { init },
            DenoisingStrength = f.Number("strength", 0.6, 0, 1),
            Mask = f.String("mask"),
            MaskBlur = (int)f.Integer("mask_blur", 4, 0, InpaintMask.MaxBlur),
            InpaintFullRes = false,
        };
        if (r.Width % 8 != 0) f.Fail("width", $"must be a multiple of 8, got {r.Width}");
        if (r.Height % 8 != 0) f.Fail("height", $"must be a multiple of 8, got {r.Height}");
        if (r.Mask is not null && init is null) f.Fail("mask", "needs init_image");
        if (f.Finish() is { Count: > 0 } errors) throw new RequestValidationException(errors);
        return r;
    }

    static async Task Events(HttpContext http, ServerContext c)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        var reader = c.Events.Subscribe(http.RequestAborted);
        await http.Response.WriteAsync($"event: hello\ndata: {{\"plugins_generation\":{c.Plugins.Current.Generation}}}\n\n", http.RequestAborted);
        await http.Response.Body.FlushAsync(http.RequestAborted);
        try
        {
            while (true)
            {
                using var beat = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted);
                beat.CancelAfter(TimeSpan.FromSeconds(15));
                try
                {
                    if (!await reader.WaitToReadAsync(beat.Token)) return;
                    while (reader.TryRead(out var e))
                        await http.Response.WriteAsync($"event: {e.Kind}\ndata: {e.Json}\n\n", http.RequestAborted);
                }
                catch (OperationCanceledException) when (!http.RequestAborted.IsCancellationRequested)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", http.RequestAborted);
                }
                await http.Response.Body.FlushAsync(http.RequestAborted);
            }
        }
        catch (OperationCanceledException) { }
    }
}
