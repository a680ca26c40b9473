using Pipeline.Conditioning;
using Pipeline.Training.World;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Training.World;

public class ShapeOutlineTests(ITestOutputHelper output)
{
    /// <summary>Uncropped 64×64 scenes whose original is 64×64: the world's own rendering of clean shapes.</summary>
    private static IEnumerable<WorldScene> Clean(int count) =>
        Enumerable.Range(0, count).Select(i =>
            WorldScenes.Draw(ShapeWorldSettings.Base(21, 1) with { CropProbability = 0 }, new ImageSize(64, 64), 21, i)
                with { Original = new ImageSize(64, 64) });

    private static double[] Cover(WorldScene scene) => WorldRenderer.Coverage(scene).Select(v => (double)v).ToArray();

    [Fact]
    public void Clean_rendered_shapes_score_near_zero_as_their_own_shape_and_high_as_another()
    {
        var own = new List<double>();
        var other = new List<double>();
        foreach (var scene in Clean(120))
        {
            var cover = Cover(scene);
            own.Add(ShapeOutline.Error(cover, 64, 64, scene.Labels.Shape));
            other.AddRange(Enum.GetValues<Shape>().Where(s => s != scene.Labels.Shape).Select(s => ShapeOutline.Error(cover, 64, 64, s)));
        }
        output.WriteLine($"own shape: mean {own.Average():F4}, max {own.Max():F4}; as another shape: mean {other.Average():F4}, min {other.Min():F4}");
        Assert.True(own.Average() < 0.02, $"mean {own.Average()}");
        Assert.True(own.Max() < 0.08, $"max {own.Max()}");
        // The nearest other shapes (circle vs square of equal area) differ by the corners: ≈ 0.12 of the area.
        Assert.True(other.Min() > 0.08, $"min {other.Min()}");
        Assert.True(other.Average() > 5 * own.Average());
    }

    /// <summary>A circle of radius R(1 + a·cos 3θ) around the image centre, anti-aliased: three lobes like the tiny
    /// model's worst circles. The outline error grows with a (the area between the lobed and the round outline is
    /// about 4aR², i.e. ≈ 1.27a of the disc).</summary>
    private static double[] Lobed(double a, double radius = 14, int size = 64)
    {
        var map = new double[size * size];
        const int sub = 8;
        for (int y = 0; y < size; y++)
            for (int x = 0; x < size; x++)
            {
                int inside = 0;
                for (int sy = 0; sy < sub; sy++)
                    for (int sx = 0; sx < sub; sx++)
                    {
                        double dy = y + (sy + 0.5) / sub - size / 2.0, dx = x + (sx + 0.5) / sub - size / 2.0;
                        inside += Math.Sqrt(dy * dy + dx * dx) <= radius * (1 + a * Math.Cos(3 * Math.Atan2(dy, dx))) ? 1 : 0;
                    }
                map[y * size + x] = inside / (double)(sub * sub);
            }
        return map;
    }

    [Fact]
    public void Lobes_raise_the_error_in_proportion_to_their_depth()
    {
        var errors = new[] { 0.0, 0.05, 0.1, 0.2 }.Select(a => ShapeOutline.Error(Lobed(a), 64, 64, Shape.Circle)).ToArray();
        output.WriteLine("lobe depth 0 / 0.05 / 0.1 / 0.2: " + string.Join(" / ", errors.Select(e => e.ToString("F4"))));
        for (int i = 1; i < errors.Length; i++) Assert.True(errors[i] > errors[i - 1], $"not increasing at {i}");
        Assert.True(errors[0] < 0.03, $"a sharp round circle scores {errors[0]}");
        Assert.InRange(errors[2], 0.127 * 0.6, 0.127 * 1.4);   // ≈ 4a/π, pixel rounding aside
    }

    [Fact]
    public void The_error_does_not_depend_on_where_the_shape_is()
    {
        var shifted = Clean(40).Select(s => s with { CenterY = 64 - s.CenterY, CenterX = 64 - s.CenterX })
            .Select(s => ShapeOutline.Error(Cover(s), 64, 64, s.Labels.Shape)).ToArray();
        output.WriteLine($"mirrored positions: mean {shifted.Average():F4}, max {shifted.Max():F4}");
        Assert.True(shifted.Average() < 0.02 && shifted.Max() < 0.08);
    }

    [Fact]
    public void Blur_of_a_small_original_costs_little_lobes_cost_much()
    {
        // The same scenes from 24-px originals (three times the camera blur once resized to 64) against lobes of 0.1.
        var blurred = Clean(60).Select(s => s with { Original = new ImageSize(24, 24) })
            .Select(s => ShapeOutline.Error(Cover(s), 64, 64, s.Labels.Shape)).Average();
        double lobed = ShapeOutline.Error(Lobed(0.1), 64, 64, Shape.Circle);
        output.WriteLine($"24-px originals: mean {blurred:F4}; lobes of 0.1: {lobed:F4}");
        Assert.True(blurred < lobed / 2, $"{blurred} vs {lobed}");
    }

    [Fact]
    public void Empty_coverage_is_nan_and_wrong_sizes_are_refused()
    {
        Assert.True(double.IsNaN(ShapeOutline.Error(new double[16], 4, 4, Shape.Square)));
        Assert.Contains("expected 4×5", Assert.Throws<ArgumentException>(() => ShapeOutline.Error(new double[16], 4, 5, Shape.Square)).Message);
    }

    [Fact]
    public void The_detector_reports_the_outline_error_of_what_it_detected()
    {
        var scene = Clean(1).Single();
        using var sample = WorldRenderer.Render(scene);
        var d = WorldDetector.Detect(sample.Image);
        Assert.Equal(scene.Labels.Shape, d.Shape);
        Assert.True(d.Outline < 0.05, $"{d.Outline}");
        var blue = ShapeWorld.Blue;
        using var flat = TorchSharp.torch.tensor(new[] { blue.R / 255f, blue.G / 255f, blue.B / 255f }).reshape(3, 1, 1).expand(3, 16, 16).contiguous();
        var none = WorldDetector.Detect(flat);
        Assert.False(none.HasObject);
        Assert.True(double.IsNaN(none.Outline));
    }
}
