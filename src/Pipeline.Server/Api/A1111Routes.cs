using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Pipeline.Components;
using Pipeline.Server.A1111;
using Pipeline.Server.Hosting;
using Pipeline.Server.Http;

namespace Pipeline.Server.Api;

/// <summary>AUTOMATIC1111's API routes (<c>/sdapi/v1/…</c>) with its field names, defaults and response shapes.</summary>
internal static class A1111Routes
{
    public static void Map(WebApplication app, ServerContext c)
    {
        var api = app.MapGroup("/sdapi/v1").WithTags("A1111");
        api.MapPost("/txt2img", (HttpContext http, CancellationToken _) => Generate(http, c, img2img: false))
            .WithSummary("Text to image (A1111's StableDiffusionProcessingTxt2Img fields)");
        api.MapPost("/img2img", (HttpContext http, CancellationToken _) => Generate(http, c, img2img: true))
            .WithSummary("Image to image and inpainting (init_images, mask; A1111's StableDiffusionProcessingImg2Img fields)");
        api.MapGet("/samplers", () => Results.Json(A1111Samplers.Available(c.Snapshot().Registry).Select(name =>
        {
            var entry = A1111Samplers.Samplers.FirstOrDefault(s => s.Label == name);
            return new { name, aliases = entry.Aliases ?? new[] { name }, options = entry.Label is null ? new Dictionary<string, string>() : new Dictionary<string, string> { ["scheduler"] = entry.Automatic } };
        }), ApiResults.Json)).WithSummary("Samplers: A1111's labels for the loaded components, then every other registered sampler by name");
        api.MapGet("/schedulers", () => Results.Json(A1111Samplers.AvailableSchedulers(c.Snapshot().Registry).Select(label =>
        {
            var entry = A1111Samplers.Schedulers.FirstOrDefault(s => s.Label == label);
            return new { name = label == "Automatic" ? "automatic" : entry.Name ?? label, label, aliases = (string[]?)null, default_rho = -1.0, need_inner_model = false };
        }), ApiResults.Json)).WithSummary("Schedulers: Automatic, A1111's labels for the loaded schedules, then every other registered schedule");
        api.MapGet("/sd-models", () => Results.Json(c.Models.Checkpoints.Select(e => new
            { title = e.Title, model_name = e.ModelName, hash = e.Hash, sha256 = (string?)null, filename = e.Path, config = (string?)null }), ApiResults.Json))
            .WithSummary("Base checkpoints this server can switch to");
        api.MapGet("/options", () => Results.Json(Options(c), ApiResults.Json)).WithSummary("Settings (sd_model_checkpoint and what this server reports)");
        api.MapPost("/options", (HttpContext http, CancellationToken _) => SetOptions(http, c)).WithSummary("Switch the checkpoint (sd_model_checkpoint); other settings are refused");
        api.MapGet("/progress", () => Progress(c)).WithSummary("The running request: progress, ETA, the latest preview (base64 PNG)");
        api.MapPost("/interrupt", () => { c.Board.Interrupt(); return Results.Json(new { }, ApiResults.Json); })
            .WithSummary("Stop the running request at its next step; it answers with what it has");
        api.MapGet("/latent-upscale-modes", () => Results.Json(new[] { "Latent", "Latent (bicubic)", "Latent (nearest-exact)" }.Select(name => new { name }), ApiResults.Json));
        api.MapGet("/upscalers", () => Results.Json(new[] { new { name = "Lanczos", model_name = (string?)null, model_path = (string?)null, model_url = (string?)null, scale = 4.0 } }, ApiResults.Json));
    }

    static async Task<IResult> Generate(HttpContext http, ServerContext c, bool img2img)
    {
        var (document, problem) = await ApiResults.ReadJson(http.Request, http.RequestAborted);
        if (problem is not null) return problem;
        using (document)
        {
            A1111Job job;
            try { job = A1111Job.Prepare(A1111Request.Parse(document!.RootElement, img2img, c.Settings), c.Snapshot(), c.Models, c.Settings); }
            catch (RequestValidationException e) { return ApiResults.Unprocessable(e.Errors); }
            using (job)
            {
                var (result, failure) = await JobExecution.Run(http, c, job);
                if (failure is not null) return failure;
                var r = job.Request;
                return Results.Json(new
                {
                    images = r.SendImages ? result!.Pngs.Select(Convert.ToBase64String).ToList() : new List<string>(),
                    parameters = r.Body,
                    info = A1111Runner.Info(job, result!),
                }, ApiResults.Json);
            }
        }
    }

    static Dictionary<string, object?> Options(ServerContext c) => new()
    {
        ["sd_model_checkpoint"] = c.Models.Current.Title,
        ["sd_checkpoint_hash"] = c.Models.Current.Hash,
        ["samples_format"] = "png",
        ["show_progress_every_n_steps"] = c.Settings.PreviewEvery == 0 ? -1 : c.Settings.PreviewEvery,
        ["live_previews_enable"] = c.Settings.PreviewEvery > 0,
    };

    static async Task<IResult> SetOptions(HttpContext http, ServerContext c)
    {
        var (document, problem) = await ApiResults.ReadJson(http.Request, http.RequestAborted);
        if (problem is not null) return problem;
        using (document)
        {
            var fields = new JsonFields(document!.RootElement);
            var name = fields.String("sd_model_checkpoint");
            var known = Options(c).Keys.ToHashSet();
            if (document.RootElement.ValueKind == System.Text.Json.JsonValueKind.Object)
                foreach (var p in document.RootElement.EnumerateObject().Where(p => p.Name != "sd_model_checkpoint"))
                {
                    fields.Has(p.Name);
                    fields.Fail(p.Name, known.Contains(p.Name) ? "read-only on this server" : "not a setting of this server (only sd_model_checkpoint can be set)");
                }
            CheckpointEntry? entry = null;
            if (name is not null && (entry = c.Models.Find(name)) is null)
                fields.Fail("sd_model_checkpoint", $"unknown checkpoint '{name}'; valid: {string.Join(", ", c.Models.Checkpoints.Select(e => e.Title))}");
            if (fields.Finish() is { Count: > 0 } errors) return ApiResults.Unprocessable(errors);
            if (entry is null) return Results.Json((object?)null, ApiResults.Json);
            // The switch waits its turn: requests queued before it finish on the old model.
            var snapshot = c.Snapshot();
            var (_, failure) = await JobExecution.Run(http, c, ct => { c.Models.Select(entry); c.Models.Use(snapshot.Registry, entry); return true; });
            if (failure is not null) return failure;
            c.Log($"checkpoint switched to {c.Models.Current.Title}");
            return Results.Json((object?)null, ApiResults.Json);
        }
    }

    static IResult Progress(ServerContext c)
    {
        var s = c.Board.Current;
        var now = DateTimeOffset.UtcNow;
        return Results.Json(new
        {
            progress = s.Progress,
            eta_relative = s.EtaSeconds(now),
            state = new
            {
                skipped = false,
                interrupted = s.Interrupted,
                stopping_generation = false,
                job = s.Job ?? "",
                job_count = c.Queue.Count,
                job_timestamp = (s.Started ?? now).ToString("yyyyMMddHHmmss", System.Globalization.CultureInfo.InvariantCulture),
                job_no = 0,
                sampling_step = s.Step,
                sampling_steps = s.Total,
            },
            current_image = s.Preview is { } png ? Convert.ToBase64String(png) : null,
            textinfo = (string?)null,
        }, ApiResults.Json);
    }
}
