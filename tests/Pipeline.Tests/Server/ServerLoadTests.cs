using System.Net;
using System.Text;
using System.Text.Json;
using Pipeline.Imaging;
using Pipeline.Server;
using Pipeline.Tests.Hosting;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Server;

/// <summary><c>sdxl serve</c> under abuse: malformed bodies, many concurrent requests with cancellations, a plugin
/// replaced while requests run.</summary>
public sealed class ServerLoadTests(ITestOutputHelper output)
{
    /// <summary>
    /// 1,200 malformed bodies (random bytes, truncated JSON, every field with a wrong type or an out-of-range value, unknown
    /// fields, deep nesting, invalid UTF-8): none is a 500, each is answered 422 (or 413), and the server still works.
    /// </summary>
    [Fact]
    public async Task A_fuzz_run_of_malformed_bodies_never_gets_a_500_and_the_server_still_answers()
    {
        await using var h = await ServerHarness.Start(s => s with { MaxBodyBytes = 256 << 10 });
        var valid = JsonSerializer.Serialize(ServerHarness.Small(("steps", 1), ("width", 8), ("height", 8)));
        var random = new Random(20261203);
        var fields = new[] { "prompt", "negative_prompt", "seed", "steps", "cfg_scale", "width", "height", "batch_size", "n_iter", "sampler_name",
            "scheduler", "enable_hr", "hr_scale", "hr_upscaler", "denoising_strength", "override_settings", "styles", "send_images", "script_args",
            "alwayson_scripts", "restore_faces", "subseed_strength", "refiner_checkpoint", "refiner_switch_at", "init_images", "mask" };
        var wrong = new[] { "\"text\"", "{}", "[]", "[1, 2]", "true", "-1e400", "1e309", "123456789012345678901234567890", "-5", "0.5", "\"\"",
            "{\"a\": [}", "\"\\ud800\"", "99999", "-2147483649" };
        string Mutant(int i) => (i % 8) switch
        {
            0 => Encoding.Latin1.GetString(Enumerable.Range(0, random.Next(1, 200)).Select(_ => (byte)random.Next(256)).ToArray()),
            1 => valid[..random.Next(0, valid.Length - 1)],
            2 => valid.Replace("\"steps\":1", $"\"{fields[random.Next(fields.Length)]}\":{wrong[random.Next(wrong.Length)]},\"steps\":1"),
            3 => valid.Insert(1, $"\"unknown_{random.Next(1000)}\":1,"),
            4 => new string('[', random.Next(65, 2000)) + new string(']', random.Next(0, 10)),
            5 => valid.Insert(random.Next(1, valid.Length - 1), new[] { ",", ":", "}", "{", "\"", "\\", "\u0000" }[random.Next(7)]),
            6 => "{\"prompt\": \"" + new string('x', random.Next(1, 300)) + "\", \"steps\": " + wrong[random.Next(wrong.Length)] + "}",
            _ => JsonSerializer.Serialize(new[] { 1, 2, 3 }),
        };
        var counts = new Dictionary<int, int>();
        for (int i = 0; i < 1200; i++)
        {
            var body = Mutant(i);
            var route = i % 3 == 0 ? "/sdapi/v1/img2img" : i % 5 == 0 ? "/v1/generate" : "/sdapi/v1/txt2img";
            using var content = new ByteArrayContent(i % 8 == 0 ? Encoding.Latin1.GetBytes(body) : Encoding.UTF8.GetBytes(body));
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            using var response = await h.Client.PostAsync(route, content);
            int code = (int)response.StatusCode;
            counts[code] = counts.GetValueOrDefault(code) + 1;
            Assert.True(code is 200 or 413 or 422, $"{route} {code} for {body[..Math.Min(body.Length, 200)]}: {await response.Content.ReadAsStringAsync()}");
            if (code == 422) Assert.Equal(JsonValueKind.Array, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("detail").ValueKind);
        }
        output.WriteLine(string.Join(", ", counts.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}: {kv.Value}")));
        Assert.True(counts.GetValueOrDefault(422) > 1000, "most bodies must be refused");
        Assert.DoesNotContain(h.Log, l => l.StartsWith("error:", StringComparison.Ordinal));
        var (status, _) = await h.Post("/sdapi/v1/txt2img", ServerHarness.Small(("steps", 1)));
        Assert.Equal(200, status);
    }

    /// <summary>
    /// 200 requests at once, a third cancelled by their clients at a random moment, through a queue of 6: each is answered
    /// 200 with complete PNGs or 429 with Retry-After, or was cancelled; afterwards the queue is empty and the worker holds
    /// no more live tensors than before.
    /// </summary>
    [Fact]
    public async Task Two_hundred_concurrent_requests_with_cancellations_all_finish_cleanly()
    {
        await using var h = await ServerHarness.Start(s => s with { MaxQueue = 6 });
        Assert.Equal(200, (await h.Post("/sdapi/v1/txt2img", ServerHarness.Small())).Status);   // warm: the model is loaded
        long Live() => h.Server.Context.Queue.RunAsync(_ => DisposeScopeManager.Statistics.ThreadTotalLiveCount, default).GetAwaiter().GetResult();
        long before = Live();
        long rssBefore = Environment.WorkingSet;
        var random = new Random(7);
        var latencies = new List<double>();
        int ok = 0, busy = 0, cancelled = 0;
        var tasks = Enumerable.Range(0, 200).Select(async i =>
        {
            int delay = random.Next(0, 3000);
            bool cancel = i % 3 == 0;
            using var cts = new CancellationTokenSource();
            if (cancel) cts.CancelAfter(random.Next(1, 400));
            await Task.Delay(delay);
            var clock = System.Diagnostics.Stopwatch.StartNew();
            try
            {
                using var content = JsonContent(ServerHarness.Small(("seed", i), ("steps", 4)));
                using var response = await h.Client.PostAsync("/sdapi/v1/txt2img", content, cts.Token);
                var text = await response.Content.ReadAsStringAsync(cts.Token);
                if (response.StatusCode == HttpStatusCode.TooManyRequests)
                {
                    Assert.True(response.Headers.RetryAfter?.Delta > TimeSpan.Zero, "429 without Retry-After");
                    Interlocked.Increment(ref busy);
                    return;
                }
                Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
                var png = Convert.FromBase64String(JsonDocument.Parse(text).RootElement.GetProperty("images")[0].GetString()!);
                using (var image = PngImage.Decode(png, "response")) Assert.Equal(new long[] { 3, 40, 32 }, image.shape);
                Interlocked.Increment(ref ok);
                lock (latencies) latencies.Add(clock.Elapsed.TotalMilliseconds);
            }
            catch (OperationCanceledException) when (cts.IsCancellationRequested) { Interlocked.Increment(ref cancelled); }
        }).ToList();
        await Task.WhenAll(tasks);
        for (int i = 0; i < 100 && h.Server.Context.Queue.Count > 0; i++) await Task.Delay(50);
        Assert.Equal(0, h.Server.Context.Queue.Count);
        Assert.Equal(200, ok + busy + cancelled);
        Assert.True(ok > 0 && busy > 0, $"ok {ok}, 429 {busy}");
        long after = Live();
        latencies.Sort();
        output.WriteLine($"200 requests: {ok} ok, {busy} answered 429, {cancelled} cancelled by the client; latency p50 {latencies[latencies.Count / 2]:F0} ms, " +
            $"p95 {latencies[(int)(latencies.Count * 0.95)]:F0} ms; worker live tensors {before} → {after}; RSS {rssBefore >> 20} → {Environment.WorkingSet >> 20} MiB");
        Assert.Equal(before, after);
    }

    static StringContent JsonContent(object body) => new(JsonSerializer.Serialize(body), Encoding.UTF8, "application/json");

    /// <summary>
    /// A plugin replaced while a long request runs on it: the reload is logged with its generation, the running request
    /// finishes on the old code (its image equals one made before the swap), a new request runs the new code.
    /// </summary>
    [Fact]
    public async Task A_plugin_replaced_while_requests_run_old_ones_finish_on_old_code_new_ones_use_the_new()
    {
        using var folders = new PluginFolders("HotV1");
        await using var h = await ServerHarness.Start(s => s with
        {
            PluginDirectories = s.PluginDirectories.Append(folders.Directory).ToArray(), HotReload = true,
        });
        object Body(int steps) => ServerHarness.Small(("sampler_name", "fixture_hot"), ("scheduler", "legacy_ddpm"), ("steps", steps), ("seed", 9));
        var (status, first) = await h.Post("/sdapi/v1/txt2img", Body(300));
        Assert.Equal(200, status);
        Assert.Equal(1, (await h.Get("/v1/plugins")).GetProperty("generation").GetInt32());

        var running = h.Post("/sdapi/v1/txt2img", Body(300));
        for (int i = 0; i < 200 && h.Server.Context.Board.Current.Step < 3; i++) await Task.Delay(20);
        var v2 = Directory.GetDirectories(Path.Combine(Goldens.RepositoryPaths.Root, "artifacts", "test-plugins", "HotV2")).Single();
        PluginFolders.CopyFolder(v2, Path.Combine(folders.Directory, Path.GetFileName(v2)));
        for (int i = 0; i < 200 && (await h.Get("/v1/plugins")).GetProperty("generation").GetInt32() < 2; i++) await Task.Delay(50);
        Assert.Equal(2, (await h.Get("/v1/plugins")).GetProperty("generation").GetInt32());
        Assert.True(h.Server.Context.Board.Current.Step is > 0 and < 300, "the first request should still be running during the reload");
        Assert.Contains(h.Log, l => l.StartsWith("plugins reloaded: generation 2", StringComparison.Ordinal));

        var (oldStatus, old) = await running;
        Assert.Equal(200, oldStatus);
        Assert.Equal(first.GetProperty("images")[0].GetString(), old.GetProperty("images")[0].GetString());
        var (_, fresh) = await h.Post("/sdapi/v1/txt2img", Body(300));
        Assert.NotEqual(first.GetProperty("images")[0].GetString(), fresh.GetProperty("images")[0].GetString());
    }
}
