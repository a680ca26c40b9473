using Pipeline.Conditioning;
using Pipeline.Training.World;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Training.World;

public class WorldDetectorTests(ITestOutputHelper output)
{
    private static readonly ShapeWorldSettings Crisp = ShapeWorldSettings.Base(11, 1).HighQuality() with { CropProbability = 0 };

    private static IEnumerable<WorldScene> Scenes(ShapeWorldSettings settings, int count) =>
        Enumerable.Range(0, count).Select(i =>
            WorldScenes.Draw(settings, settings.Buckets[i % settings.Buckets.Count], settings.Seed, i));

    private static (double Color, double Background, double Shape, double Cut) Accuracy(IEnumerable<WorldScene> scenes)
    {
        int n = 0, color = 0, background = 0, shape = 0, cut = 0;
        foreach (var scene in scenes)
        {
            using var sample = WorldRenderer.Render(scene);
            var d = WorldDetector.Detect(sample.Image);
            n++;
            color += d.ColorMatches(scene.Labels) ? 1 : 0;
            background += d.BackgroundMatches(scene.Labels) ? 1 : 0;
            shape += d.ShapeMatches(scene.Labels) ? 1 : 0;
            cut += d.CutByBorder == scene.CutByBorder ? 1 : 0;
        }
        return ((double)color / n, (double)background / n, (double)shape / n, (double)cut / n);
    }

    [Fact]
    public void Crisp_large_originals_are_read_correctly()
    {
        var acc = Accuracy(Scenes(Crisp, 300));
        output.WriteLine($"crisp (originals 96–128, no crop, 300 samples): {acc}");
        Assert.True(acc.Color >= 0.99 && acc.Background >= 0.99, $"colour/background {acc}");
        Assert.True(acc.Shape >= 0.97, $"shape {acc}");
        Assert.Equal(1.0, acc.Cut);
    }

    [Fact]
    public void Small_blurry_originals_keep_colour_and_shape()
    {
        var blurry = Crisp with { MinOriginalSide = 16, MaxOriginalSide = 24 };
        var acc = Accuracy(Scenes(blurry, 300));
        output.WriteLine($"blurry (originals 16–24, no crop, 300 samples): {acc}");
        Assert.True(acc.Color >= 0.95 && acc.Background >= 0.99, $"colour/background {acc}");
        Assert.True(acc.Shape >= 0.9, $"shape {acc}");
        var confusion = Scenes(blurry, 300).GroupBy(s => s.Labels.Shape).Select(g => g.Key + ": " + string.Join(" ", g.Select(s =>
        {
            using var sample = WorldRenderer.Render(s);
            return WorldDetector.Detect(sample.Image).Shape;
        }).GroupBy(x => x).Select(x => $"{x.Key}={x.Count()}")));
        output.WriteLine("blurry confusion: " + string.Join("; ", confusion));
    }

    [Fact]
    public void Medium_originals_are_read_correctly()
    {
        var medium = Crisp with { MinOriginalSide = 48, MaxOriginalSide = 64 };
        var acc = Accuracy(Scenes(medium, 300));
        output.WriteLine($"medium (originals 48–64, no crop, 300 samples): {acc}");
        Assert.True(acc.Color >= 0.99 && acc.Background >= 0.99, $"colour/background {acc}");
        Assert.True(acc.Shape >= 0.95, $"shape {acc}");
    }

    [Fact]
    public void Cut_detection_agrees_with_the_renderer()
    {
        var cropped = ShapeWorldSettings.Base(12, 1) with { CropProbability = 1 };
        var scenes = Scenes(cropped, 300).ToList();
        var acc = Accuracy(scenes);
        double truthRate = scenes.Count(s => s.CutByBorder) / (double)scenes.Count;
        output.WriteLine($"cropped (all originals, crop always, 300 samples): {acc}; cut in truth {truthRate:F2}");
        Assert.True(acc.Cut >= 0.95, $"cut agreement {acc.Cut}");
        Assert.InRange(truthRate, 0.2, 0.95);
    }

    [Fact]
    public void Cut_sides_follow_the_crop()
    {
        var labels = new WorldLabels(ShapeWorld.Red, Shape.Square, ShapeWorld.Blue);
        // A 30-px square at canvas (10..40, 10..40) cropped at (20, 20): cut on the top and left only.
        var scene = new WorldScene(labels, new ImageSize(96, 96), new ImageSize(96, 96), new CropCoords(20, 20), new ImageSize(64, 64), 25, 25, 30);
        using var sample = WorldRenderer.Render(scene);
        var d = WorldDetector.Detect(sample.Image);
        Assert.True(scene.CutTop && scene.CutLeft && !scene.CutBottom && !scene.CutRight);
        Assert.True(d.CutTop && d.CutLeft && !d.CutBottom && !d.CutRight, d.ToString());
    }

    [Fact]
    public void A_plain_image_has_no_object()
    {
        using var image = TorchSharp.torch.ones(3, 16, 16) * (245f / 255);
        var d = WorldDetector.Detect(image);
        Assert.False(d.HasObject);
        Assert.Equal(ShapeWorld.White, d.Background);
        Assert.Throws<ArgumentException>(() => WorldDetector.Detect(TorchSharp.torch.zeros(16, 16)));
    }

    [Fact]
    public void Large_originals_are_at_least_twice_as_sharp_as_small_ones()
    {
        double Mean(int side) => Enumerable.Range(0, 40).Average(i =>
        {
            var scene = WorldScenes.Draw(Crisp, new ImageSize(64, 64), 3, i) with { Original = new ImageSize(side, side) };
            using var sample = WorldRenderer.Render(scene);
            return Sharpness.VarianceOfLaplacian(sample.Image);
        });
        var s = new[] { 16, 32, 64, 128 }.Select(Mean).ToArray();
        output.WriteLine($"variance of Laplacian at originals 16/32/64/128: {string.Join(" / ", s.Select(v => v.ToString("G3")))}");
        Assert.True(s[0] < s[1] && s[1] < s[2] && s[2] < s[3], string.Join(", ", s));
        Assert.True(s[3] >= 2 * s[0], string.Join(", ", s));
    }
}
