using System.Text.RegularExpressions;
using Pipeline.Conditioning;
using Pipeline.Training.World;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training.World;

public class ShapeWorldDataTests
{
    [Fact]
    public void Batch_i_depends_only_on_seed_and_i()
    {
        var settings = ShapeWorldSettings.Base(5, 8);
        using var a = new ShapeWorldData(settings).Batch(3);
        var other = new ShapeWorldData(settings);
        using var _ = other.Batch(7);
        using var b = other.Batch(3);
        using var c = new ShapeWorldData(settings).Batch(4);
        using var d = new ShapeWorldData(settings with { Seed = 6 }).Batch(3);
        Assert.Equal(a.Images.data<float>().ToArray(), b.Images.data<float>().ToArray());
        Assert.Equal(a.Captions, b.Captions);
        Assert.Equal(a.OriginalSizes, b.OriginalSizes);
        Assert.Equal(a.Crops, b.Crops);
        Assert.Equal(a.AestheticScores, b.AestheticScores);
        Assert.NotEqual(a.Captions, c.Captions);
        Assert.NotEqual(a.Captions, d.Captions);
    }

    [Fact]
    public void Every_batch_is_one_bucket_and_all_buckets_occur()
    {
        var data = new ShapeWorldData(ShapeWorldSettings.Base(1, 4));
        var seen = new HashSet<ImageSize>();
        for (int i = 0; i < 40; i++)
        {
            using var batch = data.Batch(i);
            Assert.Contains(batch.TargetSize, WorldBuckets.MultiAspect);
            Assert.Equal(new long[] { 4, 3, batch.TargetSize.Height, batch.TargetSize.Width }, batch.Images.shape);
            Assert.Equal(ScalarType.Float32, batch.Images.dtype);
            Assert.True(batch.Images.min().item<float>() >= -1 && batch.Images.max().item<float>() <= 1);
            seen.Add(batch.TargetSize);
        }
        Assert.Equal(WorldBuckets.MultiAspect.Count, seen.Count);
        using var single = new ShapeWorldData(new ShapeWorldSettings(1, 2, WorldBuckets.Single(32, 32))).Batch(0);
        Assert.Equal(new ImageSize(32, 32), single.TargetSize);
    }

    [Fact]
    public void Captions_are_exact_and_conditions_are_consistent()
    {
        var data = new ShapeWorldData(ShapeWorldSettings.Base(2, 16));
        var pattern = new Regex("^a (red|orange|yellow|green|blue|purple|white|black) (circle|square|triangle) on a (red|orange|yellow|green|blue|purple|white|black) background$");
        for (int i = 0; i < 5; i++)
        {
            var scenes = data.Scenes(i);
            using var batch = data.Batch(i);
            foreach (var (caption, scene) in batch.Captions.Zip(scenes))
            {
                var m = pattern.Match(caption);
                Assert.True(m.Success, caption);
                Assert.NotEqual(m.Groups[1].Value, m.Groups[3].Value);
                Assert.Equal(scene.Labels, ShapeWorld.ParseCaption(caption));
            }
            for (int j = 0; j < batch.Count; j++)
            {
                var (o, crop, t) = (batch.OriginalSizes[j], batch.Crops[j], batch.TargetSize);
                Assert.InRange(Math.Max(o.Height, o.Width), 16, 128);
                Assert.InRange(crop.Top, 0, t.Height / 2);
                Assert.InRange(crop.Left, 0, t.Width / 2);
                Assert.Equal(WorldScene.QualityScoreOf(o), batch.AestheticScores[j]);
            }
        }
        Assert.Equal(7.0, WorldScene.QualityScoreOf(new ImageSize(128, 96)), 9);
        Assert.Equal(1.0, WorldScene.QualityScoreOf(new ImageSize(12, 16)), 9);
        Assert.Throws<ArgumentException>(() => ShapeWorld.ParseCaption("a red circle on a red background"));
        Assert.Throws<ArgumentException>(() => ShapeWorld.ParseCaption("a pink circle on a red background"));
    }

    [Fact]
    public void Crisp_interiors_hold_the_exact_palette_values()
    {
        foreach (var color in ShapeWorld.Colors)
        {
            var bg = ShapeWorld.Colors.First(c => c != color);
            var labels = new WorldLabels(color, Shape.Square, bg);
            var scene = new WorldScene(labels, new ImageSize(64, 64), new ImageSize(64, 64), new CropCoords(0, 0), new ImageSize(64, 64), 32, 32, 30);
            using var batch = ShapeWorldData.Render(new[] { scene });
            var bytes = ((batch.Images[0] + 1) * 127.5f).round().to(ScalarType.Int32);
            Assert.Equal(new[] { color.R, color.G, color.B }.Select(v => (int)v), Enumerable.Range(0, 3).Select(c => bytes[c, 32, 32].item<int>()));
            Assert.Equal(new[] { bg.R, bg.G, bg.B }.Select(v => (int)v), Enumerable.Range(0, 3).Select(c => bytes[c, 2, 2].item<int>()));
            using var sample = WorldRenderer.Render(scene);
            Assert.Equal(color.R / 255f, sample.Image[0, 32, 32].item<float>(), 6);
        }
    }

    [Fact]
    public void High_quality_mode_draws_large_originals_and_uncropped_objects_stay_inside()
    {
        var hq = new ShapeWorldData(ShapeWorldSettings.Base(4, 32).HighQuality() with { CropProbability = 0 });
        var scenes = Enumerable.Range(0, 5).SelectMany(i => hq.Scenes(i)).ToList();
        Assert.All(scenes, s => Assert.InRange(Math.Max(s.Original.Height, s.Original.Width), 96, 128));
        Assert.All(scenes, s => Assert.True(!s.CutByBorder && s.Crop == new CropCoords(0, 0)));
        Assert.All(scenes, s => Assert.True(s.QualityScore > 6));
        Assert.Throws<ArgumentException>(() => new ShapeWorldData(ShapeWorldSettings.Base(1, 1) with { Buckets = WorldBuckets.Single(60, 64) }));
        Assert.Throws<ArgumentException>(() => new ShapeWorldData(ShapeWorldSettings.Base(1, 0)));
    }

    [Fact]
    public void Uncropped_objects_keep_the_border_margin_and_wide_buckets_draw_them_as_large_as_square_ones()
    {
        var settings = ShapeWorldSettings.Base(6, 1) with { CropProbability = 0 };
        double MeanSize(ImageSize bucket) => Enumerable.Range(0, 400).Average(i => WorldScenes.Draw(settings, bucket, 6, i).Size);
        foreach (var bucket in WorldBuckets.MultiAspect)
            Assert.All(Enumerable.Range(0, 400).Select(i => WorldScenes.Draw(settings, bucket, 6, i)), s =>
            {
                double gap = new[] { s.ObjectTop, s.ObjectLeft, bucket.Height - s.ObjectBottom, bucket.Width - s.ObjectRight }.Min();
                Assert.True(gap >= settings.BorderMargin - 1e-9, $"{bucket}: object {gap:F2} px from a border");
            });
        // Sized by the mean side, an 80x48 object is about as large as a 64x64 one (by the short side it was 0.75x).
        double square = MeanSize(new ImageSize(64, 64));
        Assert.InRange(MeanSize(new ImageSize(48, 80)) / square, 0.9, 1.0);
        Assert.InRange(MeanSize(new ImageSize(80, 48)) / square, 0.9, 1.0);
        // Where the short side has no room for the margin the object shrinks, never below the smallest fraction.
        var tight = settings with { BorderMargin = 16 };
        Assert.All(Enumerable.Range(0, 200).Select(i => WorldScenes.Draw(tight, new ImageSize(32, 32), 6, i)), s =>
            Assert.InRange(s.Size, tight.MinObjectFraction * 32 - 1e-9, 32));
        Assert.Throws<ArgumentException>(() => WorldScenes.Draw(settings with { BorderMargin = -1 }, new ImageSize(64, 64), 6, 0));
    }

    [Fact]
    public void Evaluation_prompts_cycle_all_valid_combinations()
    {
        var all = EvaluationPrompts.Take(EvaluationPrompts.DistinctCount);
        Assert.Equal(168, all.Select(l => l.Caption).Distinct().Count());
        Assert.All(all, l => Assert.NotEqual(l.Color, l.Background));
        Assert.Equal(all[5], EvaluationPrompts.At(168 + 5));
        var first24 = EvaluationPrompts.Take(24);
        Assert.Equal(24, first24.Select(l => (l.Color, l.Shape)).Distinct().Count());
        // A prompt's labels render as asked; only the geometry is random.
        var scene = WorldScenes.Draw(ShapeWorldSettings.Base(0, 1), new ImageSize(64, 64), 0, 9, ShapeWorld.ParseCaption("a red circle on a blue background"));
        Assert.Equal("a red circle on a blue background", scene.Caption);
    }
}
