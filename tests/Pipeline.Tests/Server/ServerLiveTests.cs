using System.Net.Http.Json;
using System.Text.Json;
using Pipeline.Imaging;
using Xunit;

namespace Pipeline.Tests.Server;

/// <summary>The live parts of <c>sdxl serve</c>: progress with previews, interrupt, server-sent events, the plan API.</summary>
public sealed class ServerLiveTests
{
    [Fact]
    public async Task Progress_shows_steps_and_a_preview_interrupt_answers_with_the_estimate_and_events_stream_it_all()
    {
        await using var h = await ServerHarness.Start(s => s with { PreviewEvery = 2 });
        var events = new List<string>();
        using var stopEvents = new CancellationTokenSource();
        using var stream = await h.Client.GetAsync("/v1/events", HttpCompletionOption.ResponseHeadersRead);
        var reading = Task.Run(async () =>
        {
            using var reader = new StreamReader(await stream.Content.ReadAsStreamAsync());
            try
            {
                while (await reader.ReadLineAsync(stopEvents.Token) is { } line)
                    if (line.StartsWith("event: ", StringComparison.Ordinal)) lock (events) events.Add(line[7..]);
            }
            catch (OperationCanceledException) { }
        });

        var running = h.Post("/sdapi/v1/txt2img", ServerHarness.Small(("steps", 1000)));
        JsonElement progress = default;
        for (int i = 0; i < 600; i++)
        {
            progress = await h.Get("/sdapi/v1/progress");
            if (progress.GetProperty("state").GetProperty("sampling_step").GetInt32() >= 4 && progress.GetProperty("current_image").ValueKind == JsonValueKind.String) break;
            await Task.Delay(50);
        }
        Assert.Equal(1000, progress.GetProperty("state").GetProperty("sampling_steps").GetInt32());
        Assert.InRange(progress.GetProperty("progress").GetDouble(), 0.001, 0.999);
        Assert.True(progress.GetProperty("eta_relative").GetDouble() > 0);
        using (var preview = PngImage.Decode(Convert.FromBase64String(progress.GetProperty("current_image").GetString()!), "preview"))
            Assert.Equal(new long[] { 3, 40, 32 }, preview.shape);

        var (status, _) = await h.Post("/sdapi/v1/interrupt", new { });
        Assert.Equal(200, status);
        var (code, json) = await running;
        Assert.Equal(200, code);
        var infotext = JsonDocument.Parse(json.GetProperty("info").GetString()!).RootElement.GetProperty("infotexts")[0].GetString()!;
        Assert.Matches(@"Interrupted at step: \d+/1000", infotext);
        Assert.Single(json.GetProperty("images").EnumerateArray());
        Assert.Equal(0.0, (await h.Get("/sdapi/v1/progress")).GetProperty("progress").GetDouble());

        for (int i = 0; i < 100 && !events.Contains("finished"); i++) await Task.Delay(50);
        stopEvents.Cancel();
        await reading;
        lock (events)
        {
            Assert.Equal("hello", events[0]);
            foreach (var kind in new[] { "started", "progress", "preview", "finished" }) Assert.Contains(kind, events);
        }
    }

    [Fact]
    public async Task The_plan_API_uses_the_models_defaults_prints_the_plan_and_runs_it()
    {
        await using var h = await ServerHarness.Start();
        var (status, json) = await h.Post("/v1/plan", new { prompt = "a blue square", sampler = "dpmpp_2m", schedule = "karras", seed = 3 });
        Assert.Equal(200, status);
        var plan = json.GetProperty("plan").GetString()!;
        Assert.Contains("dpmpp_2m", plan);
        Assert.Contains("karras", plan, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("64x64", plan);   // the tiny model's own default size, not A1111's 512
        Assert.Equal(1, json.GetProperty("plugins_generation").GetInt32());

        (status, json) = await h.Post("/v1/generate", new { prompt = "a blue square", steps = 2, width = 32, height = 32, seed = 3, images = 2 });
        Assert.Equal(200, status);
        Assert.Equal(new long[] { 3, 4 }, json.GetProperty("seeds").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(2, json.GetProperty("images").GetArrayLength());
        var infotext = json.GetProperty("parameters")[0].GetString()!;
        Assert.True(infotext.Contains("Sampler: euler_ancestral"), infotext);

        (status, json) = await h.Post("/v1/generate", new { prompt = "x", sampler = "nope" });
        Assert.Equal(422, status);
        Assert.Contains("dpmpp_2m", json.GetProperty("detail")[0].GetProperty("msg").GetString());
        var plugins = await h.Get("/v1/plugins");
        Assert.Equal(1, plugins.GetProperty("generation").GetInt32());
        Assert.Contains(plugins.GetProperty("components").GetProperty("Sampler").EnumerateArray(), c => c.GetProperty("name").GetString() == "euler");
    }
}
