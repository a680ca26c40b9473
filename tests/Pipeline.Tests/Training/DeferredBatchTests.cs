using Pipeline.Conditioning;
using Pipeline.Training;
using Pipeline.Training.World;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary>Deferred batches: the shape world's pixels are rendered only when read, and a diffusion step whose latents
/// are all cached reads none — with the bits of training on rendered batches.</summary>
public class DeferredBatchTests(ITestOutputHelper output)
{
    static ShapeWorldData World(int batch = 4, long seed = 11) =>
        new(ShapeWorldSettings.Base(seed, batch) with { Buckets = WorldBuckets.Single(32, 32) });

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();

    [Fact]
    public void A_shape_world_batch_renders_its_pixels_only_when_read_and_they_are_the_rendered_ones()
    {
        var world = new ShapeWorldData(ShapeWorldSettings.Base(3, 6));
        for (long i = 0; i < 3; i++)
        {
            using var deferred = world.Batch(i);
            using var eager = ShapeWorldData.Render(world.Scenes(i));
            Assert.False(deferred.IsRendered);
            Assert.Equal(eager.Count, deferred.Count);
            Assert.Equal(eager.Captions, deferred.Captions);
            Assert.Equal(eager.OriginalSizes, deferred.OriginalSizes);
            Assert.Equal(eager.Crops, deferred.Crops);
            Assert.Equal(eager.TargetSize, deferred.TargetSize);
            Assert.Equal(eager.AestheticScores, deferred.AestheticScores);
            Assert.Equal(world.Scenes(i).Select(s => s.ImageKey), deferred.ImageKeys!);
            Assert.Null(eager.ImageKeys);
            Assert.Contains("IsRendered = False", deferred.ToString());   // printing does not render
            Assert.False(deferred.IsRendered);
            Assert.True(Same(eager.Images, deferred.Images), $"batch {i}: deferred pixels differ from rendered ones");
            Assert.True(deferred.IsRendered);
            Assert.Same(deferred.Images, deferred.Images);   // rendered once
        }
    }

    [Fact]
    public void Scene_keys_are_equal_for_equal_scenes_and_differ_when_anything_the_renderer_reads_changes()
    {
        var world = new ShapeWorldData(ShapeWorldSettings.Base(5, 16));
        var scenes = Enumerable.Range(0, 20).SelectMany(i => world.Scenes(i)).ToList();
        Assert.Equal(scenes.Count, scenes.Select(s => s.ImageKey).Distinct().Count());
        var s0 = scenes[0];
        Assert.Equal(s0.ImageKey, (s0 with { }).ImageKey);
        var other = s0.Labels.Color == ShapeWorld.Red ? ShapeWorld.Blue : ShapeWorld.Red;
        var changed = new[]
        {
            s0 with { CenterX = Math.BitIncrement(s0.CenterX) },
            s0 with { CenterY = Math.BitIncrement(s0.CenterY) },
            s0 with { Size = Math.BitDecrement(s0.Size) },
            s0 with { Crop = new CropCoords(s0.Crop.Top + 1, s0.Crop.Left) },
            s0 with { Original = new ImageSize(s0.Original.Height + 1, s0.Original.Width) },
            s0 with { Canvas = new ImageSize(s0.Canvas.Height + 1, s0.Canvas.Width) },
            s0 with { Target = new ImageSize(s0.Target.Height, s0.Target.Width + 8) },
            s0 with { Labels = s0.Labels with { Shape = s0.Labels.Shape == Shape.Circle ? Shape.Square : Shape.Circle } },
            s0 with { Labels = s0.Labels with { Color = other == s0.Labels.Background ? ShapeWorld.Green : other } },
            s0 with { Labels = s0.Labels with { Color = s0.Labels.Color with { R = (byte)(s0.Labels.Color.R ^ 1) } } },
        };
        foreach (var c in changed) Assert.NotEqual(s0.ImageKey, c.ImageKey);
        Assert.Equal(changed.Length, changed.Select(c => c.ImageKey).Distinct().Count());
    }

    [Fact]
    public void New_pixels_drop_the_keys_and_new_captions_keep_them()
    {
        using var batch = World().Batch(0);
        using var images = zeros(batch.Count, 3, 32, 32);
        Assert.Null((batch with { Images = images }).ImageKeys);
        Assert.Equal(batch.ImageKeys, (batch with { Captions = batch.Captions.Select(c => c + "!").ToArray() }).ImageKeys);
    }

    [Fact]
    public void A_deferred_batch_refuses_a_wrong_key_count_and_a_render_of_the_wrong_size()
    {
        var captions = new[] { "a", "b" };
        var sizes = new[] { new ImageSize(8, 8), new ImageSize(8, 8) };
        var crops = new[] { new CropCoords(0, 0), new CropCoords(0, 0) };
        var e = Assert.Throws<ArgumentException>(() => TrainingBatch.Deferred(() => zeros(2, 3, 8, 8), new UInt128[] { 1 }, captions, sizes, crops, new ImageSize(8, 8), new[] { 1.0, 1.0 }));
        Assert.Contains("2 captions has 1 image keys", e.Message);
        using var wrong = TrainingBatch.Deferred(() => zeros(3, 3, 8, 8), new UInt128[] { 1, 2 }, captions, sizes, crops, new ImageSize(8, 8), new[] { 1.0, 1.0 });
        var r = Assert.Throws<InvalidOperationException>(() => wrong.Images);
        Assert.Contains("of 2 samples rendered images [3, 3, 8, 8]", r.Message);
    }

    /// <summary>The shape world rendered eagerly (no keys: the cache hashes pixels), as every batch was before deferral.</summary>
    sealed class Rendered(ShapeWorldData world) : ITrainingData
    {
        public TrainingBatch Batch(long index) => ShapeWorldData.Render(world.Scenes(index));
    }

    /// <summary>Records every batch it hands out (to look at them after the step).</summary>
    sealed class Recording(ITrainingData source) : ITrainingData
    {
        public List<TrainingBatch> Handed { get; } = new();
        public TrainingBatch Batch(long index)
        {
            var b = source.Batch(index);
            Handed.Add(b);
            return b;
        }
    }

    [Fact]
    public void Cached_steps_render_nothing_and_training_keeps_every_bit_of_rendered_batches()
    {
        var dir = Directory.CreateTempSubdirectory("deferred").FullName;
        try
        {
            const long steps = 6, period = 2;
            const int batch = 3;
            string rendered = Path.Combine(dir, "rendered.state"), deferred = Path.Combine(dir, "deferred.state");
            using (var model = TrainingTests.NewModel(TrainingTests.Tiny(), 1))
            using (var trainer = new DiffusionTrainer(model, new RepeatingData(new Rendered(World(batch)), period), LatentCacheTests.Settings(steps, period * batch)))
            {
                trainer.Train();
                Assert.Equal((12L, 6L), (trainer.LatentCache!.Hits, trainer.LatentCache.Misses));
                trainer.SaveState(rendered);
            }
            var recording = new Recording(World(batch));
            using (var model = TrainingTests.NewModel(TrainingTests.Tiny(), 1))
            using (var trainer = new DiffusionTrainer(model, new RepeatingData(recording, period), LatentCacheTests.Settings(steps, period * batch)))
            {
                trainer.Train();
                Assert.Equal((12L, 6L), (trainer.LatentCache!.Hits, trainer.LatentCache.Misses));
                trainer.SaveState(deferred);
            }
            var renderedSteps = recording.Handed.Select(b => b.IsRendered).ToArray();
            output.WriteLine($"rendered per step: {string.Join(" ", renderedSteps)}");
            Assert.Equal(new[] { true, true, false, false, false, false }, renderedSteps);
            Assert.True(File.ReadAllBytes(rendered).AsSpan().SequenceEqual(File.ReadAllBytes(deferred)),
                "training on deferred batches differs from training on rendered ones");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_cache_hit_of_a_deferred_batch_leaves_the_live_tensor_count_unchanged()
    {
        var world = World(2);
        using var cache = new LatentCache(4);
        Tensor Encode(Tensor x) => nn.functional.avg_pool2d(x, 8).repeat(1, 2, 1, 1);
        using (var b = world.Batch(0)) cache.Moments(b, Encode).Dispose();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var again = world.Batch(0))
        {
            using var moments = cache.Moments(again, Encode);
            Assert.False(again.IsRendered);
            Assert.Equal(new long[] { 2, 6, 4, 4 }, moments.shape);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.Equal((2L, 2L), (cache.Hits, cache.Misses));
    }
}
