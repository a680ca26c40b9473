using Pipeline.Components;
using Pipeline.Server.Hosting;
using Pipeline.Server.Http;
using static TorchSharp.torch;

namespace Pipeline.Server.A1111;

/// <summary>
/// A checked A1111 request, ready for the queue: names resolved against the registry snapshot the request started on,
/// images decoded (resized to the request's size, A1111's "just resize"), the checkpoint chosen and the seed fixed.
/// Owns its tensors.
/// </summary>
public sealed record A1111Job(A1111Request Request, PluginSnapshotView Snapshot, A1111Samplers.Choice Choice, A1111Samplers.Choice? HiresChoice,
    Generation.HiresUpscaler? HiresUpscaler, Conditioning.ImageSize? HiresSize, CheckpointEntry Checkpoint, long Seed, Tensor? Init, Tensor? Mask) : IDisposable
{
    /// <summary>The images this job makes (batch_size × n_iter).</summary>
    public int Images => Request.BatchSize * Request.NIter;

    /// <summary>Checks <paramref name="request"/> against <paramref name="snapshot"/> and the loaded checkpoints; 422 problems as
    /// <see cref="RequestValidationException"/>.</summary>
    public static A1111Job Prepare(A1111Request request, PluginSnapshotView snapshot, ModelHost models, ServerSettings settings)
    {
        var errors = new List<FieldError>();
        var registry = snapshot.Registry;
        A1111Samplers.Choice? choice = null, hiresChoice = null;
        try { choice = A1111Samplers.Resolve(registry, request.SamplerName, request.Scheduler); }
        catch (A1111Exception e) { errors.Add(new(e.Field, e.Message, "value_error")); }
        CheckpointEntry? checkpoint = models.Current;
        if (request.CheckpointOverride is { } name && (checkpoint = models.Find(name)) is null)
            errors.Add(new("override_settings.sd_model_checkpoint", $"unknown checkpoint '{name}'; valid: {string.Join(", ", models.Checkpoints.Select(c => c.Title))}", "value_error"));
        if (request.RefinerCheckpoint is { Length: > 0 } refiner)
        {
            if (models.RefinerPath is null) errors.Add(new("refiner_checkpoint", "this server was started without --refiner", "value_error"));
            else if (!string.Equals(refiner, Path.GetFileName(models.RefinerPath), StringComparison.OrdinalIgnoreCase)
                     && !string.Equals(refiner, Path.GetFileNameWithoutExtension(models.RefinerPath), StringComparison.OrdinalIgnoreCase))
                errors.Add(new("refiner_checkpoint", $"unknown refiner '{refiner}'; valid: {Path.GetFileName(models.RefinerPath)}", "value_error"));
        }
        else if (request.RefinerSwitchAt is not null) errors.Add(new("refiner_switch_at", "needs refiner_checkpoint", "value_error"));
        if (checkpoint is { Config.IsInpainting: true } && request.Mask is null)
            errors.Add(new("override_settings.sd_model_checkpoint", $"{checkpoint.Title} is an inpainting model; it needs img2img with a mask", "value_error"));

        Generation.HiresUpscaler? upscaler = null;
        Conditioning.ImageSize? hiresSize = null;
        if (request.EnableHr)
        {
            try { hiresChoice = A1111Samplers.Resolve(registry, request.HrSamplerName ?? request.SamplerName, request.HrScheduler ?? request.Scheduler, "hr_sampler_name", "hr_scheduler"); }
            catch (A1111Exception e) { errors.Add(new(e.Field, e.Message, "value_error")); }
            upscaler = (request.HrUpscaler ?? "Latent") switch
            {
                "Latent" => Generation.HiresUpscaler.Bilinear,
                "Latent (bicubic)" => Generation.HiresUpscaler.Bicubic,
                "Latent (nearest-exact)" => Generation.HiresUpscaler.NearestExact,
                "Lanczos" => Generation.HiresUpscaler.Lanczos,
                var other => null,
            };
            if (upscaler is null) errors.Add(new("hr_upscaler", $"unknown or unsupported upscaler '{request.HrUpscaler}'; valid: Latent, Latent (bicubic), Latent (nearest-exact), Lanczos", "value_error"));
            int w = request.HrResizeX > 0 ? request.HrResizeX : (int)Math.Round(request.Width * request.HrScale);
            int h = request.HrResizeY > 0 ? request.HrResizeY : (int)Math.Round(request.Height * request.HrScale);
            if (request.HrResizeX > 0 && request.HrResizeY == 0) h = (int)Math.Round(request.Height * (double)w / request.Width);
            if (request.HrResizeY > 0 && request.HrResizeX == 0) w = (int)Math.Round(request.Width * (double)h / request.Height);
            (w, h) = (w / 8 * 8, h / 8 * 8);
            if (w <= request.Width && h <= request.Height) errors.Add(new("hr_scale", $"the hires size {w}x{h} is not larger than {request.Width}x{request.Height}", "value_error"));
            else if (Math.Max(w, h) > settings.MaxImageSide) errors.Add(new("hr_scale", $"the hires size {w}x{h} exceeds this server's largest side {settings.MaxImageSide}", "value_error"));
            else hiresSize = new Conditioning.ImageSize(h, w);
        }

        Tensor? init = null, mask = null;
        try
        {
            if (request.IsImg2Img && request.InitImages.Count > 0)
                init = DecodeImage(request.InitImages[0], "init_images.0", request, errors);
            if (request.Mask is { } m)
            {
                mask = DecodeImage(m, "mask", request, errors);
                if (mask is not null)
                {
                    var grey = mask.mean(new long[] { 1 }, keepdim: true);
                    mask.Dispose();
                    mask = request.InvertMask ? 1 - grey : grey;
                }
            }
            if (errors.Count > 0) throw new RequestValidationException(errors);
            long seed = request.Seed >= 0 ? request.Seed : Random.Shared.NextInt64(0, 1L << 32);
            return new A1111Job(request, snapshot, choice!, hiresChoice, upscaler, hiresSize, checkpoint!, seed, init, mask);
        }
        catch
        {
            init?.Dispose();
            mask?.Dispose();
            throw;
        }
    }

    /// <summary>A base64 image (optionally a data: URL) → [1, 3, height, width] in [0, 1], resized to the request's size.</summary>
    static Tensor? DecodeImage(string text, string field, A1111Request request, List<FieldError> errors)
    {
        var data = text;
        if (data.StartsWith("data:", StringComparison.Ordinal) && data.IndexOf(',') is var comma and > 0) data = data[(comma + 1)..];
        byte[] bytes;
        try { bytes = Convert.FromBase64String(data); }
        catch (FormatException) { errors.Add(new(field, "not base64 data", "value_error")); return null; }
        try
        {
            using var scope = NewDisposeScope();
            var image = Imaging.PngImage.Decode(bytes, field).unsqueeze(0);
            if (image.shape[2] != request.Height || image.shape[3] != request.Width)
                image = Generation.Lanczos.Resize(image, request.Height, request.Width).clamp(0, 1);
            return image.MoveToOuterDisposeScope();
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException)
        {
            errors.Add(new(field, "not a readable image: " + e.Message, "value_error"));
            return null;
        }
    }

    public void Dispose()
    {
        Init?.Dispose();
        Mask?.Dispose();
    }
}

/// <summary>The registry snapshot a request runs on and its generation number.</summary>
public sealed record PluginSnapshotView(ComponentRegistry Registry, int Generation);
