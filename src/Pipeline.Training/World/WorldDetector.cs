using static TorchSharp.torch;

namespace Pipeline.Training.World;

/// <summary>What <see cref="WorldDetector"/> reads from an image. <see cref="Color"/> and <see cref="Shape"/> are null
/// when no object stands out from the background. Fill is the object's area over (widest row × tallest column)
/// (circle π/4, square 1, triangle ½); Taper is the rows' third central moment over area^1.5 scaled so that an upright
/// triangle scores 1 and symmetric shapes 0 (blur leaves third moments and area unchanged). Outline is
/// <see cref="ShapeOutline.Error"/> of the object as the detected shape (NaN without an object): how far its outline is
/// from the clean shape of the same area and centroid.</summary>
public sealed record WorldDetection(
    WorldColor Background,
    WorldColor? Color,
    Shape? Shape,
    bool CutTop,
    bool CutLeft,
    bool CutBottom,
    bool CutRight,
    double Confidence,
    double Fill,
    double Taper,
    double Outline = double.NaN)
{
    public bool HasObject => Color is not null;
    public bool CutByBorder => CutTop || CutLeft || CutBottom || CutRight;

    public bool ColorMatches(WorldLabels l) => Color == l.Color;
    public bool ShapeMatches(WorldLabels l) => Shape == l.Shape;
    public bool BackgroundMatches(WorldLabels l) => Background == l.Background;
    public bool Matches(WorldLabels l) => ColorMatches(l) && ShapeMatches(l) && BackgroundMatches(l);
}

/// <summary>
/// Reads colour, shape, background and border cuts from an image of the world, robustly to blur:
/// the background is the palette colour nearest the border pixels' median; the object colour is the palette colour
/// whose blend line from the background best explains the pixels far from it; each pixel's coverage is its projection
/// on that line. Area, row/column sums and moments of the coverage are nearly unchanged by blur, so the shape comes
/// from fill = area / (widest row sum × tallest column sum) (circle π/4, square 1, triangle ½) and the row skewness
/// (0, 0, −0.57). The object is cut on a side when a border pixel there is more than half covered.
/// </summary>
public static class WorldDetector
{
    /// <summary>Colour distance (0–255 units) below which nothing counts as an object.</summary>
    public const double MinContrast = 40;

    /// <summary>An upright triangle's (base = height h) third central row moment over area^1.5: −(h³/135)/(h²/2)^1.5 = −2^1.5/135.</summary>
    private const double TriangleMoment = -0.020951312035156967;

    /// <summary>Detects the object in <paramref name="image"/> [3, H, W] with values in [0, 1], against <paramref name="palette"/>
    /// (default: the base world's eight colours, <see cref="ShapeWorld.Colors"/>; <see cref="ShapeWorld.ExtendedColors"/> adds the concepts).</summary>
    public static WorldDetection Detect(Tensor image, IReadOnlyList<WorldColor>? palette = null)
    {
        if (image.dim() != 3 || image.shape[0] != 3 || image.shape[1] < 3 || image.shape[2] < 3)
            throw new ArgumentException($"expected an image [3, H, W] (H, W ≥ 3) in [0, 1]; got [{string.Join(", ", image.shape)}]");
        int h = (int)image.shape[1], w = (int)image.shape[2];
        float[] data;
        using (var _ = NewDisposeScope())
            data = image.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        return Detect(data, h, w, palette);
    }

    internal static WorldDetection Detect(float[] data, int h, int w, IReadOnlyList<WorldColor>? palette = null)
    {
        palette ??= ShapeWorld.Colors;
        if (palette.Count < 3) throw new ArgumentException($"the detector's palette needs at least 3 colours, got {palette.Count}");
        int n = h * w;
        double[] Pixel(int i) => new[] { data[i] * 255.0, data[n + i] * 255.0, data[2 * n + i] * 255.0 };

        var border = Enumerable.Range(0, n).Where(i => i / w == 0 || i / w == h - 1 || i % w == 0 || i % w == w - 1).ToArray();
        var borderMedian = Enumerable.Range(0, 3).Select(c => Median(border.Select(i => data[c * n + i] * 255.0))).ToArray();
        var background = Nearest(palette, borderMedian);
        var bg = Rgb(background);

        var dist = Enumerable.Range(0, n).Select(i => Distance(Pixel(i), bg)).ToArray();
        double maxDist = dist.Max();
        if (maxDist < MinContrast)
            return new WorldDetection(background, null, null, false, false, false, false, 1 - maxDist / MinContrast, 0, 0);

        // Object colour: the palette colour whose blend line from the background fits the far pixels best.
        var far = Enumerable.Range(0, n).Where(i => dist[i] >= 0.5 * maxDist).Select(Pixel).ToArray();
        var costs = palette.Where(c => c != background)
            .Select(c => (Color: c, Cost: far.Sum(p => DistanceToSegment(p, bg, Rgb(c)))))
            .OrderBy(x => x.Cost).ToArray();
        var color = costs[0].Color;
        double confidence = costs[1].Cost > 0 ? 1 - costs[0].Cost / costs[1].Cost : 1;

        var fg = Rgb(color);
        var axis = new[] { fg[0] - bg[0], fg[1] - bg[1], fg[2] - bg[2] };
        double axis2 = axis.Sum(a => a * a);
        var cover = new double[n];
        for (int i = 0; i < n; i++)
        {
            var p = Pixel(i);
            cover[i] = Math.Clamp(((p[0] - bg[0]) * axis[0] + (p[1] - bg[1]) * axis[1] + (p[2] - bg[2]) * axis[2]) / axis2, 0, 1);
        }

        var (fill, taper) = ShapeFeatures(cover, h, w);
        var shape = taper > 0.5 ? World.Shape.Triangle : fill > (Math.PI / 4 + 1) / 2 ? World.Shape.Square : World.Shape.Circle;
        bool Covered(int y, int x) => cover[y * w + x] > 0.5;
        return new WorldDetection(background, color, shape,
            CutTop: Enumerable.Range(0, w).Any(x => Covered(0, x)),
            CutLeft: Enumerable.Range(0, h).Any(y => Covered(y, 0)),
            CutBottom: Enumerable.Range(0, w).Any(x => Covered(h - 1, x)),
            CutRight: Enumerable.Range(0, h).Any(y => Covered(y, w - 1)),
            confidence, fill, taper, ShapeOutline.Error(cover, h, w, shape));
    }

    /// <summary>(fill, taper) of a coverage map; coverage below <see cref="ShapeOutline.NoiseFloor"/> is ignored as noise.</summary>
    internal static (double Fill, double Taper) ShapeFeatures(double[] cover, int h, int w)
    {
        var rows = new double[h];
        var cols = new double[w];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double c = cover[y * w + x] >= ShapeOutline.NoiseFloor ? cover[y * w + x] : 0;
                rows[y] += c;
                cols[x] += c;
            }
        double area = rows.Sum();
        if (area <= 0) return (0, 0);
        double fill = area / (rows.Max() * cols.Max());
        double mean = Enumerable.Range(0, h).Sum(y => y * rows[y]) / area;
        double m3 = Enumerable.Range(0, h).Sum(y => Math.Pow(y - mean, 3) * rows[y]);
        return (fill, m3 / Math.Pow(area, 2.5) / TriangleMoment);
    }

    private static double[] Rgb(WorldColor c) => new double[] { c.R, c.G, c.B };

    private static WorldColor Nearest(IReadOnlyList<WorldColor> palette, double[] rgb) => palette.MinBy(c => Distance(rgb, Rgb(c)));

    private static double Distance(double[] a, double[] b) =>
        Math.Sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));

    private static double DistanceToSegment(double[] p, double[] a, double[] b)
    {
        double ab2 = 0, t = 0;
        for (int c = 0; c < 3; c++) { ab2 += (b[c] - a[c]) * (b[c] - a[c]); t += (p[c] - a[c]) * (b[c] - a[c]); }
        t = Math.Clamp(t / ab2, 0, 1);
        return Distance(p, new[] { a[0] + t * (b[0] - a[0]), a[1] + t * (b[1] - a[1]), a[2] + t * (b[2] - a[2]) });
    }

    private static double Median(IEnumerable<double> values)
    {
        var s = values.OrderBy(v => v).ToArray();
        return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
    }
}
