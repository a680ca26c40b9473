using Pipeline.Models.Bundles;
using Pipeline.Training;
using Pipeline.Training.TinyDefault;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

public class LatentCacheTests(ITestOutputHelper output)
{
    /// <summary>A stand-in encoder that works per image (so any batch composition gives the same rows) and records the
    /// images it was handed: moments = (2×2 average pool, its square) — [B, 6, H/2, W/2] for RGB.</summary>
    sealed class CountingEncoder
    {
        public List<long> Calls { get; } = new();
        public Tensor Encode(Tensor x)
        {
            Calls.Add(x.shape[0]);
            using var pooled = nn.functional.avg_pool2d(x, 2);
            return cat(new[] { pooled, pooled * pooled }, 1);
        }
    }

    static Tensor Images(long seed, int count, int height = 8, int width = 8)
    {
        using var generator = new Generator((ulong)seed, CPU);
        return rand(new long[] { count, 3, height, width }, generator: generator) * 2 - 1;
    }

    static bool Same(Tensor a, Tensor b) => a.shape.SequenceEqual(b.shape) && a.equal(b).all().item<bool>();

    [Fact]
    public void A_repeated_image_is_not_encoded_again_and_gets_the_moments_it_had()
    {
        var encoder = new CountingEncoder();
        using var cache = new LatentCache(100);
        using var a = Images(1, 3);
        using var b = Images(2, 2);
        using var first = cache.Moments(a, encoder.Encode);
        using var again = cache.Moments(a, encoder.Encode);
        Assert.Equal(new long[] { 3 }, encoder.Calls);
        Assert.True(Same(first, again));

        // A mixed batch: a[2], b[0], a[0], b[1] — only the two new images reach the encoder, in batch order.
        using var mixed = cat(new[] { a[2..3], b[0..1], a[0..1], b[1..2] });
        using var moments = cache.Moments(mixed, encoder.Encode);
        using var expected = encoder.Encode(mixed);
        Assert.Equal(new long[] { 3, 2, 4 }, encoder.Calls);
        Assert.True(Same(expected, moments));
        Assert.Equal(5, cache.Count);
        Assert.Equal((5L, 5L), (cache.Hits, cache.Misses));
    }

    [Fact]
    public void A_full_cache_still_answers_every_image_and_stores_no_more()
    {
        var encoder = new CountingEncoder();
        using var cache = new LatentCache(2);
        using var a = Images(3, 3);
        using var first = cache.Moments(a, encoder.Encode);
        Assert.Equal(2, cache.Count);
        using var second = cache.Moments(a, encoder.Encode);
        Assert.Equal(new long[] { 3, 1 }, encoder.Calls);   // the third image did not fit: encoded again
        Assert.True(Same(first, second));
        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void Images_differing_in_one_pixel_or_only_in_shape_are_different_images()
    {
        var encoder = new CountingEncoder();
        using var cache = new LatentCache(100);
        using var a = Images(4, 1, 4, 8);
        using var moved = a.clone();
        moved[0, 1, 2, 3] = moved[0, 1, 2, 3] + 1e-6f;
        using var reshaped = a.reshape(1, 3, 8, 4);
        using var m1 = cache.Moments(a, encoder.Encode);
        using var m2 = cache.Moments(moved, encoder.Encode);
        using var m3 = cache.Moments(reshaped, encoder.Encode);
        Assert.Equal(new long[] { 1, 1, 1 }, encoder.Calls);
        Assert.Equal(new long[] { 1, 6, 4, 2 }, m3.shape);
    }

    [Fact]
    public void Bad_capacity_images_and_encoder_answers_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new LatentCache(0));
        using var cache = new LatentCache(4);
        using var flat = zeros(3, 8, 8);
        Assert.Contains("[B, C, H, W]", Assert.Throws<ArgumentException>(() => cache.Moments(flat, x => x)).Message);
        using var a = Images(5, 3);
        var e = Assert.Throws<InvalidOperationException>(() => cache.Moments(a, x => zeros(2, 6, 4, 4)));
        Assert.Contains("for 3 images", e.Message);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void Repeating_data_cycles_its_source_and_refuses_a_zero_period()
    {
        var source = new FakeTrainingData(2, 8, 8, seed: 9);
        var data = new RepeatingData(source, 3);
        foreach (long i in new long[] { 0, 2, 3, 7 })
        {
            using var got = data.Batch(i);
            using var want = source.Batch(i % 3);
            Assert.True(Same(want.Images, got.Images));
            Assert.Equal(want.Captions, got.Captions);
        }
        using var b0 = source.Batch(0);
        using var b1 = source.Batch(1);
        Assert.False(Same(b0.Images, b1.Images));
        Assert.Throws<ArgumentOutOfRangeException>(() => new RepeatingData(source, 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Batch(-1));
    }

    [Theory]
    [InlineData(3000, 4, 750)]
    [InlineData(3001, 4, 751)]
    [InlineData(3, 4, 1)]
    [InlineData(500, 1, 500)]
    public void A_plan_stage_draws_its_steps_over_the_epochs_in_distinct_batches(long steps, int epochs, long distinct) =>
        Assert.Equal(distinct, new TinyTrainingPlan(DataEpochs: epochs).DistinctBatches(steps));

    [Fact]
    public void A_plan_with_no_epochs_is_refused_before_any_work()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"never-created-{Guid.NewGuid():N}");
        var e = Assert.Throws<ArgumentException>(() => TinyTraining.Run(new TinyTrainingPlan(DataEpochs: 0), dir, dir, "base", _ => { }));
        Assert.Contains("data epochs 0 must be >= 1", e.Message);
        Assert.False(Directory.Exists(dir));
    }

    /// <summary>The source's batches with every image made unique (its flat colours repeat within and across batches).</summary>
    sealed class DistinctImages(ITrainingData source) : ITrainingData
    {
        public TrainingBatch Batch(long index)
        {
            var batch = source.Batch(index);
            using var offsets = arange(batch.Count).view(-1, 1, 1, 1) * 1e-3 + index * 1e-2;
            var images = batch.Images + offsets;
            batch.Images.Dispose();
            return batch with { Images = images };
        }
    }

    internal static DiffusionTrainingSettings Settings(long steps, long cache) => new()
    {
        Steps = steps, LearningRate = 1e-3, WarmupSteps = 2, Decay = LearningRateDecay.Cosine, EmaDecay = 0.9, Seed = 7, LatentCacheSize = cache,
    };

    [Fact]
    public void Caching_latents_changes_no_bit_of_training_and_resume_stays_exact()
    {
        var dir = Directory.CreateTempSubdirectory("latent-cache").FullName;
        try
        {
            var data = new RepeatingData(new DistinctImages(new FakeTrainingData(3, 32, 32, seed: 5)), 2);
            const long n = 5, k = 3;
            string plain = Path.Combine(dir, "plain.state"), cached = Path.Combine(dir, "cached.state"), resumed = Path.Combine(dir, "resumed.state");
            using (var model = TrainingTests.NewModel(TrainingTests.Tiny(), 1))
            using (var trainer = new DiffusionTrainer(model, data, Settings(n, 0)))
            {
                trainer.Train();
                Assert.Null(trainer.LatentCache);
                trainer.SaveState(plain);
            }
            using (var model = TrainingTests.NewModel(TrainingTests.Tiny(), 1))
            using (var trainer = new DiffusionTrainer(model, data, Settings(n, 6)))
            {
                trainer.Train();
                var cache = trainer.LatentCache!;
                output.WriteLine($"cache: {cache.Count} images, {cache.Hits} hits, {cache.Misses} misses");
                Assert.Equal((6, 9L, 6L), (cache.Count, cache.Hits, cache.Misses));   // 2 distinct batches of 3, then 3 repeats
                trainer.SaveState(cached);
            }
            string modelPath = Path.Combine(dir, "model.safetensors"), statePath = Path.Combine(dir, "k.state");
            using (var model = TrainingTests.NewModel(TrainingTests.Tiny(), 1))
            using (var trainer = new DiffusionTrainer(model, data, Settings(n, 6)))
            {
                trainer.Train(stopAt: k);
                trainer.SaveCheckpoint(modelPath, statePath);
            }
            using (var model = SdxlModel.Load(modelPath))
            using (var trainer = new DiffusionTrainer(model, data, Settings(n, 6)))
            {
                trainer.LoadState(statePath);
                trainer.Train();   // steps 3 and 4 with an empty cache again: encodes what the first run had cached
                Assert.Equal((0L, 6L), (trainer.LatentCache!.Hits, trainer.LatentCache.Misses));
                trainer.SaveState(resumed);
            }
            var expected = File.ReadAllBytes(plain);
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(cached)), "training with the latent cache differs from training without it");
            Assert.True(expected.AsSpan().SequenceEqual(File.ReadAllBytes(resumed)), "a resumed run with the latent cache differs");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Steps_answered_from_the_cache_leave_the_live_tensor_count_unchanged()
    {
        var data = new RepeatingData(new FakeTrainingData(2, 32, 32), 1);
        using var model = TrainingTests.NewModel(TrainingTests.Tiny(), 4);
        using var trainer = new DiffusionTrainer(model, data, Settings(3, 2));
        trainer.TrainStep();   // fills the cache: two stored moments tensors
        trainer.TrainStep();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        trainer.TrainStep();
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        output.WriteLine($"live tensors {before} → {after}; cache {trainer.LatentCache!.Count}");
        Assert.Equal(before, after);
        Assert.Equal(4, trainer.LatentCache.Hits);
    }

    [Fact]
    public void Prefetching_latents_on_a_second_thread_changes_no_bit_of_training()
    {
        var dir = Directory.CreateTempSubdirectory("latent-prefetch").FullName;
        try
        {
            var data = new RepeatingData(new DistinctImages(new FakeTrainingData(3, 32, 32, seed: 5)), 3);
            const long n = 7;
            string plain = Path.Combine(dir, "plain.state"), prefetched = Path.Combine(dir, "prefetched.state");
            using (var model = TrainingTests.NewModel(TrainingTests.Tiny(), 1))
            using (var trainer = new DiffusionTrainer(model, data, Settings(n, 9)))
            {
                trainer.Train();
                trainer.SaveState(plain);
            }
            using (var model = TrainingTests.NewModel(TrainingTests.Tiny(), 1))
            using (var trainer = new DiffusionTrainer(model, data, Settings(n, 9) with { PrefetchLatents = true }))
            {
                trainer.Train(stopAt: 2);
                trainer.Train();   // a second call starts a new prefetcher at step 2
                var cache = trainer.LatentCache!;
                output.WriteLine($"cache: {cache.Count} images, {cache.Hits} hits, {cache.Misses} misses");
                Assert.Equal((9, 9L), (cache.Count, cache.Misses));   // each distinct image encoded once, by either thread
                trainer.SaveState(prefetched);
            }
            Assert.True(File.ReadAllBytes(plain).AsSpan().SequenceEqual(File.ReadAllBytes(prefetched)), "training with prefetched latents differs");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_prefetcher_encodes_batches_ahead_in_order_and_stops_when_the_cache_is_full()
    {
        var data = new RepeatingData(new DistinctImages(new FakeTrainingData(2, 8, 8, seed: 3)), 3);
        var encoder = new CountingEncoder();
        using var cache = new LatentCache(6);
        using (var prefetcher = new LatentPrefetcher(data, cache, encoder.Encode, 0, 100))
        {
            while (cache.Count < 6) Thread.Sleep(1);
            Thread.Sleep(50);   // time to (wrongly) go on past a full cache
            prefetcher.ThrowIfFailed();
            Assert.Equal(3, prefetcher.Done);
        }
        Assert.Equal(new long[] { 2, 2, 2 }, encoder.Calls);
        for (long i = 0; i < 3; i++)
        {
            using var batch = data.Batch(i);
            using var got = cache.Moments(batch, _ => throw new InvalidOperationException("held images are not encoded again"));
            using var want = encoder.Encode(batch.Images);
            Assert.True(Same(want, got));
        }
    }

    [Fact]
    public void A_failing_prefetcher_stops_the_training_with_its_error()
    {
        var data = new RepeatingData(new FakeTrainingData(2, 8, 8), 2);
        using var cache = new LatentCache(4);
        using var prefetcher = new LatentPrefetcher(data, cache, _ => throw new InvalidOperationException("encoder broke"), 0, 10);
        SpinWait.SpinUntil(() => { try { prefetcher.ThrowIfFailed(); return false; } catch (InvalidOperationException) { return true; } }, 10_000);
        Assert.Equal("encoder broke", Assert.Throws<InvalidOperationException>(prefetcher.ThrowIfFailed).Message);
        Assert.Equal(0, cache.Count);
        using var model = TrainingTests.NewModel(TrainingTests.Tiny(), 1);
        Assert.Contains("needs a latent cache", Assert.Throws<ArgumentException>(() =>
            new DiffusionTrainer(model, data, Settings(2, 0) with { PrefetchLatents = true })).Message);
    }

    [Fact]
    public void A_prefetcher_with_a_start_task_encodes_nothing_before_it_ends_and_stops_when_disposed_first()
    {
        var data = new RepeatingData(new DistinctImages(new FakeTrainingData(2, 8, 8, seed: 4)), 2);
        var encoder = new CountingEncoder();
        using var cache = new LatentCache(4);
        var start = new TaskCompletionSource();
        using (var prefetcher = new LatentPrefetcher(data, cache, encoder.Encode, 0, 10, start.Task))
        {
            Thread.Sleep(100);
            Assert.Equal((0, 0L), (cache.Count, prefetcher.Done));
            start.SetResult();
            Assert.True(SpinWait.SpinUntil(() => cache.Count == 4, 10_000));
        }
        Assert.Equal(new long[] { 2, 2 }, encoder.Calls);
        using var never = new LatentCache(4);
        var stopped = new LatentPrefetcher(data, never, encoder.Encode, 0, 10, new TaskCompletionSource().Task);
        stopped.Dispose();   // returns although its start task never ends
        Assert.Equal(0, never.Count);
    }
}
