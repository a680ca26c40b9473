using static TorchSharp.torch;

namespace Pipeline.Training.World;

/// <summary>
/// Rasterises scenes on plain arrays: the object's coverage is computed at the original resolution (exact horizontal
/// overlap on 8 sub-rows per pixel; exact for the square), resized to the canvas (bilinear up, area down), cropped to
/// the target window and blended between the background and object colours. Like a camera, the original has a
/// point-spread of about one of its pixels ([¼, ½, ¼] each way), so detail is finite at every resolution and larger
/// originals stay sharper all the way up (a 128-px original downscaled to 64 beats a 64-px one). Interiors hold the
/// exact palette values.
/// </summary>
public static class WorldRenderer
{
    private const int SubRows = 8;

    /// <summary>Renders one scene as [3, H, W] float32 in [0, 1].</summary>
    public static WorldSample Render(WorldScene scene)
    {
        scene.Validated();
        var data = new float[3 * scene.Target.Height * scene.Target.Width];
        Blend(Coverage(scene), scene.Labels, data, 0, 0f, 1f);
        using var _ = NewDisposeScope();
        var image = tensor(data, new long[] { 3, scene.Target.Height, scene.Target.Width });
        return new WorldSample(image.MoveToOuterDisposeScope(), scene);
    }

    /// <summary>The object's coverage in [0, 1] of each target pixel, row-major [H·W].</summary>
    public static float[] Coverage(WorldScene scene)
    {
        var (oh, ow) = (scene.Original.Height, scene.Original.Width);
        var original = Optics(CoverageAtOriginal(scene, oh, ow), oh, ow);
        var window = Resample.ResizeWindow(original, oh, ow, scene.Canvas.Height, scene.Canvas.Width,
            scene.Crop.Top, scene.Crop.Left, scene.Target.Height, scene.Target.Width);
        for (int i = 0; i < window.Length; i++) window[i] = Math.Clamp(window[i], 0f, 1f);
        return window;
    }

    /// <summary>Writes background + coverage·(object − background), mapped to [lo, hi], as [3, H, W] at <paramref name="offset"/>.</summary>
    internal static void Blend(float[] coverage, WorldLabels labels, float[] dest, int offset, float lo, float hi)
    {
        int n = coverage.Length;
        Span<double> bg = stackalloc double[] { labels.Background.R, labels.Background.G, labels.Background.B };
        Span<double> fg = stackalloc double[] { labels.Color.R, labels.Color.G, labels.Color.B };
        for (int c = 0; c < 3; c++)
            for (int i = 0; i < n; i++)
            {
                double v = (bg[c] + coverage[i] * (fg[c] - bg[c])) / 255.0;
                dest[offset + c * n + i] = (float)(lo + (hi - lo) * v);
            }
    }

    /// <summary>The camera's point-spread: a separable [¼, ½, ¼] blur with replicated edges.</summary>
    internal static float[] Optics(float[] map, int h, int w)
    {
        var rows = new float[h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                rows[y * w + x] = 0.25f * map[y * w + Math.Max(x - 1, 0)] + 0.5f * map[y * w + x] + 0.25f * map[y * w + Math.Min(x + 1, w - 1)];
        var result = new float[h * w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                result[y * w + x] = 0.25f * rows[Math.Max(y - 1, 0) * w + x] + 0.5f * rows[y * w + x] + 0.25f * rows[Math.Min(y + 1, h - 1) * w + x];
        return result;
    }

    private static float[] CoverageAtOriginal(WorldScene scene, int oh, int ow)
    {
        double sy = (double)oh / scene.Canvas.Height, sx = (double)ow / scene.Canvas.Width;
        double cy = scene.CenterY * sy, cx = scene.CenterX * sx, hy = scene.Size / 2 * sy, hx = scene.Size / 2 * sx;
        var map = new float[oh * ow];
        int y0 = Math.Max(0, (int)Math.Floor(cy - hy)), y1 = Math.Min(oh - 1, (int)Math.Ceiling(cy + hy));
        for (int y = y0; y <= y1; y++)
        {
            if (scene.Labels.Shape == Shape.Square)
            {
                double v = Overlap(y, y + 1, cy - hy, cy + hy);
                AddRow(map, y * ow, ow, cx - hx, cx + hx, v);
                continue;
            }
            for (int s = 0; s < SubRows; s++)
            {
                double py = y + (s + 0.5) / SubRows;
                double half = HalfWidth(scene.Labels.Shape, py, cy, hy, hx);
                if (half > 0) AddRow(map, y * ow, ow, cx - half, cx + half, 1.0 / SubRows);
            }
        }
        return map;
    }

    /// <summary>Half the object's width at height <paramref name="py"/> (≤ 0 outside it).</summary>
    private static double HalfWidth(Shape shape, double py, double cy, double hy, double hx) => shape switch
    {
        Shape.Circle => Math.Abs(py - cy) >= hy ? 0 : hx * Math.Sqrt(1 - (py - cy) * (py - cy) / (hy * hy)),
        Shape.Triangle => py < cy - hy || py > cy + hy ? 0 : hx * (py - (cy - hy)) / (2 * hy),
        _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
    };

    private static void AddRow(float[] map, int rowStart, int width, double x0, double x1, double weight)
    {
        if (weight <= 0) return;
        int a = Math.Max(0, (int)Math.Floor(x0)), b = Math.Min(width - 1, (int)Math.Ceiling(x1));
        for (int x = a; x <= b; x++) map[rowStart + x] += (float)(weight * Overlap(x, x + 1, x0, x1));
    }

    private static double Overlap(double a0, double a1, double b0, double b1) => Math.Max(0, Math.Min(a1, b1) - Math.Max(a0, b0));
}
