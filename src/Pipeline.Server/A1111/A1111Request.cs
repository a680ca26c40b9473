using System.Text.Json;
using Pipeline.Server.Http;

namespace Pipeline.Server.A1111;

/// <summary>
/// A <c>/sdapi/v1/txt2img</c> or <c>/sdapi/v1/img2img</c> body: A1111's field names and defaults (its
/// <c>StableDiffusionProcessingTxt2Img</c>/<c>Img2Img</c> and the API's additions). Fields A1111 has that this server
/// does not implement are accepted at their defaults and refused otherwise, naming the field; unknown fields are refused.
/// </summary>
public sealed record A1111Request
{
    public bool IsImg2Img { get; init; }
    public string Prompt { get; init; } = "";
    public string NegativePrompt { get; init; } = "";
    public long Seed { get; init; } = -1;
    public string? SamplerName { get; init; }
    public string? Scheduler { get; init; }
    public int BatchSize { get; init; } = 1;
    public int NIter { get; init; } = 1;
    public int Steps { get; init; } = 50;
    public double CfgScale { get; init; } = 7.0;
    public int Width { get; init; } = 512;
    public int Height { get; init; } = 512;
    public bool SendImages { get; init; } = true;
    public string? CheckpointOverride { get; init; }
    public double DenoisingStrength { get; init; } = 0.75;

    public bool EnableHr { get; init; }
    public double HrScale { get; init; } = 2.0;
    public string? HrUpscaler { get; init; }
    public int HrSecondPassSteps { get; init; }
    public int HrResizeX { get; init; }
    public int HrResizeY { get; init; }
    public string? HrSamplerName { get; init; }
    public string? HrScheduler { get; init; }

    public string? RefinerCheckpoint { get; init; }
    public double? RefinerSwitchAt { get; init; }

    public IReadOnlyList<string> InitImages { get; init; } = Array.Empty<string>();
    public string? Mask { get; init; }
    public int MaskBlur { get; init; } = 4;
    public bool InpaintFullRes { get; init; } = true;
    public int InpaintFullResPadding { get; init; }
    public bool InvertMask { get; init; }

    /// <summary>The request as A1111 echoes it back in the response's <c>parameters</c>.</summary>
    public JsonElement Body { get; init; }

    /// <summary>Reads <paramref name="body"/>; every problem at once in a <see cref="RequestValidationException"/>.</summary>
    public static A1111Request Parse(JsonElement body, bool img2img, ServerSettings limits)
    {
        var f = new JsonFields(body);
        int maxSide = limits.MaxImageSide;
        var r = new A1111Request
        {
            IsImg2Img = img2img,
            Body = body.Clone(),
            Prompt = f.String("prompt", "")!,
            NegativePrompt = f.String("negative_prompt", "")!,
            Seed = f.Integer("seed", -1, -1, uint.MaxValue),
            SamplerName = (f.String("sampler_name"), f.String("sampler_index")) switch { ({ Length: > 0 } name, _) => name, (_, var index) => index },
            Scheduler = f.String("scheduler"),
            BatchSize = (int)f.Integer("batch_size", 1, 1, limits.MaxImagesPerRequest),
            NIter = (int)f.Integer("n_iter", 1, 1, limits.MaxImagesPerRequest),
            Steps = (int)f.Integer("steps", 50, 1, 1000),
            CfgScale = f.Number("cfg_scale", 7.0, 0, 100),
            Width = (int)f.Integer("width", 512, 8, maxSide),
            Height = (int)f.Integer("height", 512, 8, maxSide),
            SendImages = f.Boolean("send_images", true),
            DenoisingStrength = f.Number("denoising_strength", 0.75, 0, 1),
            RefinerCheckpoint = f.String("refiner_checkpoint"),
            RefinerSwitchAt = f.OptionalNumber("refiner_switch_at", 0, 1),
        };
        if (r.BatchSize * r.NIter > limits.MaxImagesPerRequest)
            f.Fail("n_iter", $"batch_size × n_iter = {r.BatchSize * r.NIter} images; this server makes at most {limits.MaxImagesPerRequest} per request");
        if (r.Width % 8 != 0) f.Fail("width", $"must be a multiple of 8, got {r.Width}");
        if (r.Height % 8 != 0) f.Fail("height", $"must be a multiple of 8, got {r.Height}");
        if (f.Raw("override_settings") is { } overrides)
        {
            if (overrides.ValueKind != JsonValueKind.Object) f.Fail("override_settings", "must be an object");
            else
                foreach (var p in overrides.EnumerateObject())
                {
                    if (p.Name == "sd_model_checkpoint" && p.Value.ValueKind == JsonValueKind.String) r = r with { CheckpointOverride = p.Value.GetString() };
                    else f.Fail($"override_settings.{p.Name}", "not supported by this server (only sd_model_checkpoint)");
                }
        }
        _ = f.Boolean("override_settings_restore_afterwards", true);

        if (img2img)
        {
            r = r with
            {
                InitImages = f.Strings("init_images"),
                Mask = f.String("mask"),
                MaskBlur = (int)f.Integer("mask_blur", f.Integer("mask_blur_x", 4, 0, 64), 0, 64),
                InpaintFullRes = f.Boolean("inpaint_full_res", true),
                InpaintFullResPadding = (int)f.Integer("inpaint_full_res_padding", 0, 0, 1024),
                InvertMask = f.Integer("inpainting_mask_invert", 0, 0, 1) == 1,
            };
            if (r.InitImages.Count == 0) f.Fail("init_images", "img2img needs at least one base64 image", "value_error.missing");
            if (f.Integer("mask_blur_y", 4, 0, 64) != f.Integer("mask_blur_x", 4, 0, 64)) f.Fail("mask_blur_y", "different x and y blur is not supported; give mask_blur");
            Unsupported(f, "resize_mode", 0L, "only 0 (just resize) is supported");
            Unsupported(f, "inpainting_fill", r.Mask is null ? null : 1L, "only 1 (original) is supported when a mask is given: the masked region starts from the image");
            UnsupportedNonNull(f, "image_cfg_scale", "latent_mask", "initial_noise_multiplier");
            _ = f.Boolean("mask_round", true);
            _ = f.Boolean("include_init_images", false);
        }
        else
        {
            r = r with
            {
                EnableHr = f.Boolean("enable_hr", false),
                HrScale = f.Number("hr_scale", 2.0, 1, 4),
                HrUpscaler = f.String("hr_upscaler"),
                HrSecondPassSteps = (int)f.Integer("hr_second_pass_steps", 0, 0, 1000),
                HrResizeX = (int)f.Integer("hr_resize_x", 0, 0, maxSide),
                HrResizeY = (int)f.Integer("hr_resize_y", 0, 0, maxSide),
                HrSamplerName = f.String("hr_sampler_name"),
                HrScheduler = f.String("hr_scheduler"),
            };
            _ = f.Integer("firstphase_width", 0);
            _ = f.Integer("firstphase_height", 0);
            foreach (var name in new[] { "hr_prompt", "hr_negative_prompt" })
                if (f.String(name, "") is { Length: > 0 }) f.Fail(name, "a separate hires prompt is not supported; the hires pass uses the prompt");
            UnsupportedNonNull(f, "hr_checkpoint_name");
            if (!r.EnableHr && (r.HrResizeX != 0 || r.HrResizeY != 0)) f.Fail("hr_resize_x", "needs enable_hr");
        }

        // A1111 fields this server does not implement: their defaults are fine, anything else is refused by name.
        _ = f.Integer("subseed", -1);   // used only with a subseed_strength above 0
        Unsupported(f, "subseed_strength", 0.0, "variation seeds are not supported");
        Unsupported(f, "seed_resize_from_h", null, "seed resizing is not supported", -1L, 0L);
        Unsupported(f, "seed_resize_from_w", null, "seed resizing is not supported", -1L, 0L);
        Unsupported(f, "s_min_uncond", 0.0, "not supported");
        Unsupported(f, "s_churn", 0.0, "not supported (use a sampler with churn through the plan API)");
        Unsupported(f, "s_tmin", 0.0, "not supported");
        Unsupported(f, "s_noise", 1.0, "not supported");
        UnsupportedNonNull(f, "eta", "s_tmax", "script_name", "force_task_id", "infotext", "firstpass_image", "comments", "sampler_noise_scheduler_override");
        foreach (var name in new[] { "restore_faces", "tiling", "save_images", "disable_extra_networks" })
            if (f.Boolean(name, false)) f.Fail(name, "not supported by this server");
        _ = f.Boolean("do_not_save_samples", false);
        _ = f.Boolean("do_not_save_grid", false);
        if (f.Strings("styles").Count > 0) f.Fail("styles", "saved styles are not supported; put the text in the prompt");
        if (f.Raw("script_args") is { ValueKind: JsonValueKind.Array } args && args.GetArrayLength() > 0) f.Fail("script_args", "scripts are not supported");
        if (f.Raw("alwayson_scripts") is { ValueKind: JsonValueKind.Object } scripts && scripts.EnumerateObject().Any()) f.Fail("alwayson_scripts", "scripts are not supported");
        if (f.Finish() is { Count: > 0 } errors) throw new RequestValidationException(errors);
        return r;
    }

    /// <summary>A numeric field allowed only at <paramref name="allowed"/> (or any of <paramref name="also"/>).</summary>
    static void Unsupported(JsonFields f, string name, object? allowed, string why, params long[] also)
    {
        if (!f.Has(name)) return;
        double value = f.Number(name, double.NaN);
        if (double.IsNaN(value)) return;
        bool ok = (allowed is long l && value == l) || (allowed is double d && value == d) || also.Any(a => a == value);
        if (!ok) f.Fail(name, $"{why} (got {value})");
    }

    static void UnsupportedNonNull(JsonFields f, params string[] names)
    {
        foreach (var name in names)
            if (f.Has(name)) f.Fail(name, "not supported by this server; leave it null");
    }
}
