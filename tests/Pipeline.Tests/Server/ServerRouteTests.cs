using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Pipeline.Imaging;
using Pipeline.Server;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Server;

/// <summary><c>sdxl serve</c>'s routes over a real Kestrel on a loopback port, with a real HttpClient.</summary>
public sealed class ServerRouteTests
{
    static byte[] Png(JsonElement images, int i) => Convert.FromBase64String(images[i].GetString()!);

    static (long Width, long Height) SizeOf(byte[] png)
    {
        using var image = PngImage.Decode(png, "response");
        return (image.shape[2], image.shape[1]);
    }

    [Fact]
    public async Task Txt2img_answers_A1111s_shape_with_complete_PNGs_seed_per_image_and_the_infotext()
    {
        await using var h = await ServerHarness.Start();
        var (status, json) = await h.Post("/sdapi/v1/txt2img", ServerHarness.Small(("batch_size", 2), ("sampler_name", "Euler a"), ("scheduler", "Karras")));
        Assert.Equal(200, status);
        var images = json.GetProperty("images");
        Assert.Equal(2, images.GetArrayLength());
        Assert.Equal((32L, 40L), SizeOf(Png(images, 0)));
        Assert.Equal(3, json.GetProperty("parameters").GetProperty("steps").GetInt32());
        var info = JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement;
        Assert.Equal(new long[] { 5, 6 }, info.GetProperty("all_seeds").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal("Euler a", info.GetProperty("sampler_name").GetString());
        var infotext = info.GetProperty("infotexts")[1].GetString()!;
        var parameters = GenerationParameters.Parse(infotext);
        Assert.Equal(("Euler a", "Karras", 6L, 2.0), (parameters.Sampler, parameters.Schedule, parameters.Seed, parameters.CfgScale));
        Assert.Equal(infotext, PngTextChunks.Read(Png(images, 1))["parameters"]);

        // Image 1 (seed 6) is image 0 of a request with seed 6: every image can be remade alone.
        var (_, again) = await h.Post("/sdapi/v1/txt2img", ServerHarness.Small(("seed", 6), ("sampler_name", "Euler a"), ("scheduler", "Karras")));
        Assert.Equal(Png(images, 1), Png(again.GetProperty("images"), 0));
    }

    [Fact]
    public async Task Img2img_resizes_the_init_image_inpaints_through_a_mask_and_keeps_the_unmasked_pixels()
    {
        await using var h = await ServerHarness.Start();
        byte[] init, mask;
        using (var scope = NewDisposeScope())
        {
            using var g = new TorchSharp.torch.Generator(3);
            init = PngImage.Encode(rand(new long[] { 3, 48, 40 }, generator: g));       // 40×48: resized to the request's 32×40
            var m = zeros(3, 40, 32);
            m[.., 8..24, 8..24] = tensor(1f);
            mask = PngImage.Encode(m);
        }
        var body = ServerHarness.Small(("init_images", new[] { Convert.ToBase64String(init) }), ("denoising_strength", 0.5));
        var (status, json) = await h.Post("/sdapi/v1/img2img", body);
        Assert.Equal(200, status);
        Assert.Equal((32L, 40L), SizeOf(Png(json.GetProperty("images"), 0)));
        Assert.Contains("Denoising strength: 0.5", JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement.GetProperty("infotexts")[0].GetString());

        body["mask"] = "data:image/png;base64," + Convert.ToBase64String(mask);
        body["inpainting_fill"] = 1;
        body["mask_blur"] = 0;
        body["inpaint_full_res"] = false;
        (status, json) = await h.Post("/sdapi/v1/img2img", body);
        Assert.Equal(200, status);
        using (var scope = NewDisposeScope())
        {
            var original = Pipeline.Generation.Lanczos.Resize(PngImage.Decode(init, "init").unsqueeze(0), 40, 32).clamp(0, 1)[0];
            var output = PngImage.Decode(Png(json.GetProperty("images"), 0), "out");
            var outside = ones(40, 32);
            outside[8..24, 8..24] = tensor(0f);
            // Outside the mask the result is the (resized) init image, up to 8-bit rounding.
            double kept = ((output - original).abs() * outside).max().item<float>();
            double inside = ((output - original).abs() * (1 - outside)).max().item<float>();
            Assert.True(kept <= 1.0 / 255 + 1e-6, $"unmasked pixels changed by {kept}");
            Assert.True(inside > 0.05, $"the masked region was not repainted ({inside})");
        }
        body["inpainting_fill"] = 0;
        (status, json) = await h.Post("/sdapi/v1/img2img", body);
        Assert.Equal(422, status);
        Assert.Equal("inpainting_fill", json.GetProperty("detail")[0].GetProperty("loc")[1].GetString());
    }

    [Fact]
    public async Task Lists_options_and_a_checkpoint_switch_between_requests()
    {
        await using var h = await ServerHarness.Start(
            s => s with { Checkpoints = s.Checkpoints.Append(Path.Combine(Path.GetDirectoryName(s.Checkpoints[0])!, "second.safetensors")).ToArray() },
            folder => File.Copy(folder.Checkpoint, folder.PathOf("second.safetensors")));
        var samplers = (await h.Get("/sdapi/v1/samplers")).EnumerateArray().Select(s => s.GetProperty("name").GetString()).ToList();
        Assert.Contains("Euler a", samplers);
        Assert.Contains("DPM++ 2M", samplers);
        Assert.Contains("DPM++ 3M SDE", samplers);          // a plugin's sampler under A1111's label
        Assert.Contains("euler_kdiffusion", samplers);      // one A1111 has no label for, by its registry name
        var schedulers = (await h.Get("/sdapi/v1/schedulers")).EnumerateArray().Select(s => s.GetProperty("label").GetString()).ToList();
        Assert.Equal("Automatic", schedulers[0]);
        Assert.Contains("Karras", schedulers);
        Assert.Contains("legacy_ddpm", schedulers);
        var models = await h.Get("/sdapi/v1/sd-models");
        Assert.Equal(new[] { "tiny", "second" }, models.EnumerateArray().Select(m => m.GetProperty("model_name").GetString()));
        Assert.StartsWith("tiny.safetensors", (await h.Get("/sdapi/v1/options")).GetProperty("sd_model_checkpoint").GetString());

        var (status, json) = await h.Post("/sdapi/v1/options", new { sd_model_checkpoint = "nothing.safetensors" });
        Assert.Equal(422, status);
        Assert.Contains("valid: tiny.safetensors", json.GetProperty("detail")[0].GetProperty("msg").GetString());
        (status, _) = await h.Post("/sdapi/v1/options", new { sd_model_checkpoint = "second" });
        Assert.Equal(200, status);
        Assert.StartsWith("second.safetensors [", (await h.Get("/sdapi/v1/options")).GetProperty("sd_model_checkpoint").GetString());
        (status, json) = await h.Post("/sdapi/v1/txt2img", ServerHarness.Small());
        Assert.Equal(200, status);
        Assert.Equal("second", JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement.GetProperty("sd_model_name").GetString());
        (status, json) = await h.Post("/sdapi/v1/txt2img", ServerHarness.Small(("override_settings", new { sd_model_checkpoint = "tiny" })));
        Assert.Equal(200, status);
        Assert.Equal("tiny", JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement.GetProperty("sd_model_name").GetString());

        var openapi = await h.Get("/openapi/v1.json");
        var paths = openapi.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToList();
        foreach (var route in new[] { "/sdapi/v1/txt2img", "/sdapi/v1/img2img", "/sdapi/v1/progress", "/sdapi/v1/interrupt", "/v1/generate", "/v1/plugins", "/v1/events" })
            Assert.Contains(route, paths);
    }

    [Fact]
    public async Task Bad_input_is_a_422_naming_the_field_with_the_valid_options_and_never_runs()
    {
        await using var h = await ServerHarness.Start();
        var (status, json) = await h.Post("/sdapi/v1/txt2img", ServerHarness.Small(("sampler_name", "Eulr")));
        Assert.Equal(422, status);
        var detail = json.GetProperty("detail")[0];
        Assert.Equal("sampler_name", detail.GetProperty("loc")[1].GetString());
        Assert.Contains("valid: DPM++ 2M", detail.GetProperty("msg").GetString());
        Assert.Contains("Euler a", detail.GetProperty("msg").GetString());

        (status, json) = await h.Post("/sdapi/v1/txt2img", ServerHarness.Small(("stpes", 5), ("width", 33), ("restore_faces", true), ("cfg_scale", "high")));
        Assert.Equal(422, status);
        var fields = json.GetProperty("detail").EnumerateArray().Select(d => d.GetProperty("loc")[1].GetString()).ToHashSet();
        Assert.Equal(new HashSet<string?> { "stpes", "width", "restore_faces", "cfg_scale" }, fields);

        using var content = new StringContent("{\"prompt\": ", Encoding.UTF8, "application/json");
        using var broken = await h.Client.PostAsync("/sdapi/v1/txt2img", content);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, broken.StatusCode);
        Assert.Equal(0, h.Server.Context.Queue.Count);
    }

    [Fact]
    public async Task Large_bodies_are_413_and_a_key_protects_every_route()
    {
        await using var h = await ServerHarness.Start(s => s with { MaxBodyBytes = 4096, ApiKey = "sesame" });
        using (var anonymous = await h.Client.GetAsync("/sdapi/v1/options"))
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        h.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "wrong");
        using (var wrong = await h.Client.GetAsync("/v1/plugins"))
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        h.Client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "sesame");
        using (var ok = await h.Client.GetAsync("/sdapi/v1/options"))
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        var (status, json) = await h.Post("/sdapi/v1/txt2img", ServerHarness.Small(("prompt", new string('a', 10_000))));
        Assert.Equal(413, status);
        Assert.Equal("body too large", json.GetProperty("error").GetString());
    }

    [Fact]
    public async Task A_warning_is_logged_for_a_non_loopback_address_without_a_key()
    {
        await using var h = await ServerHarness.Start(s => s with { Host = "0.0.0.0" });
        Assert.Contains(h.Log, l => l.StartsWith("warning: listening on 0.0.0.0 without an API key", StringComparison.Ordinal));
        Assert.True(new ServerSettings { Host = "::1" }.IsLoopback);
        Assert.False(new ServerSettings { Host = "0.0.0.0" }.IsLoopback);
    }
}
