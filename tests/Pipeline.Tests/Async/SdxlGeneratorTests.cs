using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Pipeline.Extensions;
using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Generation;
using Pipeline.Tests.Stages;
using Xunit;

#pragma warning disable MEAI001 // IImageGenerator is experimental in Microsoft.Extensions.AI

namespace Pipeline.Tests.Async;

/// <summary>The asynchronous API: GenerateAsync, StreamAsync, the IImageGenerator adapter and AddSdxl.</summary>
public sealed class SdxlGeneratorTests : IDisposable
{
    readonly SdxlModel _model = SdxlModel.Create(TinyModels.Base);

    public void Dispose() => _model.Dispose();

    [Fact]
    public async Task GenerateAsync_is_the_executors_run_with_progress_and_stops_when_cancelled()
    {
        using var generator = new SdxlGenerator();
        var plan = TinyPlans.TextToImage(_model, steps: 6, seed: 3);
        using var expected = plan.Run();
        var reports = new List<GenerationProgress>();
        using var result = await generator.GenerateAsync(plan, new InlineProgress<GenerationProgress>(p => { lock (reports) reports.Add(p); }));
        Assert.True(TinyPlans.Same(expected.Images, result.Images));
        Assert.Equal(Enumerable.Range(1, 6), reports.Select(r => r.Done));
        Assert.All(reports, r => Assert.Equal(("base", 6), (r.Phase, r.Total)));
        Assert.Equal(1.0, reports[^1].Fraction);

        using var cts = new CancellationTokenSource();
        var slow = TinyPlans.TextToImage(_model, steps: 500, seed: 3);
        var running = generator.GenerateAsync(slow, new InlineProgress<GenerationProgress>(p => { if (p.Done == 3) cts.Cancel(); }), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        // The generator is free again.
        using var again = await generator.GenerateAsync(plan);
        Assert.True(TinyPlans.Same(expected.Images, again.Images));
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateAsync(plan with { Sampler = null! }));
    }

    [Fact]
    public async Task Concurrent_calls_take_turns_and_each_gets_its_own_plans_result()
    {
        using var generator = new SdxlGenerator();
        var plans = Enumerable.Range(0, 3).Select(i => TinyPlans.TextToImage(_model, steps: 5, seed: 10 + i)).ToList();
        var order = new List<int>();
        var runs = plans.Select((p, i) => generator.GenerateAsync(p, new InlineProgress<GenerationProgress>(_ => { lock (order) order.Add(i); }))).ToList();
        var results = await Task.WhenAll(runs);
        try
        {
            for (int i = 0; i < 3; i++)
            {
                using var alone = plans[i].Run();
                Assert.True(TinyPlans.Same(alone.Images, results[i].Images), $"plan {i}");
            }
            // One plan at a time: each plan's steps are contiguous.
            var runsOf = order.Select((v, k) => (v, k)).GroupBy(x => x.v).Select(g => g.Max(x => x.k) - g.Min(x => x.k) + 1).ToList();
            Assert.All(runsOf, length => Assert.Equal(5, length));
        }
        finally { foreach (var r in results) r.Dispose(); }
    }

    [Fact]
    public async Task StreamAsync_yields_steps_previews_and_results_in_order_and_an_early_stop_frees_the_generator()
    {
        using var generator = new SdxlGenerator();
        var plans = new[] { TinyPlans.TextToImage(_model, steps: 4, seed: 1), TinyPlans.TextToImage(_model, steps: 4, seed: 2) };
        var kinds = new List<string>();
        await foreach (var e in generator.StreamAsync(plans, previewEvery: 2))
        {
            kinds.Add($"{e.PlanIndex}:{e.GetType().Name}");
            if (e is PreviewEvent p) using (var image = PngImage.Decode(p.Png, "preview")) Assert.Equal(new long[] { 3, 40, 32 }, image.shape);
            if (e is ResultEvent r)
            {
                using var alone = plans[r.PlanIndex].Run();
                Assert.True(TinyPlans.Same(alone.Images, r.Result.Images));
                r.Result.Dispose();
            }
        }
        string[] one(int i) => new[] { "StepEvent", "StepEvent", "PreviewEvent", "StepEvent", "StepEvent", "PreviewEvent", "ResultEvent" }.Select(k => $"{i}:{k}").ToArray();
        Assert.Equal(one(0).Concat(one(1)), kinds);

        await foreach (var e in generator.StreamAsync(new[] { TinyPlans.TextToImage(_model, steps: 400, seed: 1) }))
            if (e is StepEvent { Progress.Done: 2 }) break;
        using var after = await generator.GenerateAsync(plans[0]).WaitAsync(TimeSpan.FromMinutes(1));
        Assert.Equal(plans[0].Size.Width, after.Images.shape[3]);
    }

    [Fact]
    public async Task The_IImageGenerator_adapter_and_AddSdxl_make_PNGs_of_the_asked_size_and_count()
    {
        using var folder = new Pipeline.Tests.Cli.TinyCheckpointFolder(_model);
        var services = new ServiceCollection().AddSdxl(o => { o.Checkpoint = folder.Checkpoint; o.PluginDirectories = Array.Empty<string>(); });
        await using (var provider = services.BuildServiceProvider())
        {
            var images = provider.GetRequiredService<IImageGenerator>();
            var response = await images.GenerateAsync(new ImageGenerationRequest("a red circle"),
                new ImageGenerationOptions { Count = 2, ImageSize = new System.Drawing.Size(48, 32) });
            var pngs = response.Contents.OfType<DataContent>().ToList();
            Assert.Equal(2, pngs.Count);
            Assert.All(pngs, p => Assert.Equal("image/png", p.MediaType));
            using (var first = PngImage.Decode(pngs[0].Data.ToArray(), "first")) Assert.Equal(new long[] { 3, 32, 48 }, first.shape);
            Assert.Contains("Size: 48x32", pngs[0].AdditionalProperties!["parameters"]!.ToString());
            Assert.Equal("tiny", images.GetService<ImageGeneratorMetadata>()!.DefaultModelId);
            var edit = await images.GenerateAsync(new ImageGenerationRequest("a blue circle", new AIContent[] { pngs[0] }),
                new ImageGenerationOptions { ImageSize = new System.Drawing.Size(32, 32) });
            Assert.Contains("Denoising strength: 0.6", edit.Contents.OfType<DataContent>().Single().AdditionalProperties!["parameters"]!.ToString());
            await Assert.ThrowsAsync<ArgumentException>(() => images.GenerateAsync(new ImageGenerationRequest("x"), new ImageGenerationOptions { ModelId = "dall-e-3" }));
        }
        Assert.Throws<FileNotFoundException>(() => new ServiceCollection().AddSdxl(o => o.Checkpoint = folder.PathOf("missing.safetensors")));
    }
}
