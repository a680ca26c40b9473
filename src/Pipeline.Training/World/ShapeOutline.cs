namespace Pipeline.Training.World;

/// <summary>
/// How far an object's outline is from the clean shape: the object's half-coverage contour (pixels more than half
/// covered) is compared with that of the world's own rendering of the ideal shape of the same kind, area and centroid
/// (circle, axis-aligned square, upright triangle with base = height, anti-aliased, with the camera's [¼, ½, ¼]
/// point-spread at the image's resolution). The error is the number of pixels on different sides of the two contours
/// over the ideal's area: 0 for a rendered 64-px original at 64×64, about perimeter × mean boundary offset / area for a
/// lumpy or wavy outline (a circle of radius 12 whose edge is off by one pixel everywhere: ≈ 0.17). Coverage sums and
/// the half-coverage contour of a straight edge survive blur, so a blurred but clean shape scores low; concave sides,
/// lobes and bumps add their area.
/// </summary>
public static class ShapeOutline
{
    /// <summary>Coverage below this counts as background noise (here and in the detector's shape features).</summary>
    public const double NoiseFloor = 0.1;

    private const int SubSamples = 8;

    /// <summary>The outline error of coverage map <paramref name="cover"/> [H·W] (values in [0, 1]) as a <paramref name="shape"/>;
    /// NaN when nothing is covered.</summary>
    public static double Error(double[] cover, int h, int w, Shape shape)
    {
        if (cover.Length != h * w) throw new ArgumentException($"coverage has {cover.Length} values, expected {h}×{w} = {h * w}");
        double area = 0, my = 0, mx = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                double c = cover[y * w + x];
                c = c >= NoiseFloor ? Math.Min(c, 1) : 0;
                area += c;
                my += c * (y + 0.5);
                mx += c * (x + 0.5);
            }
        if (area <= 0) return double.NaN;
        var ideal = Ideal(shape, my / area, mx / area, area, h, w);
        int differ = 0;
        for (int i = 0; i < cover.Length; i++)
            differ += cover[i] > 0.5 != ideal[i] > 0.5 ? 1 : 0;
        return differ / area;
    }

    /// <summary>The ideal <paramref name="shape"/> of <paramref name="area"/> pixels with its centroid at
    /// (<paramref name="centroidY"/>, <paramref name="centroidX"/>) in pixel units (pixel centres at +0.5), rendered
    /// anti-aliased with the camera's point-spread.</summary>
    public static double[] Ideal(Shape shape, double centroidY, double centroidX, double area, int h, int w)
    {
        // side: circle diameter, square side, triangle base = height; the box centre (cy, cx)
        double side = shape switch
        {
            Shape.Circle => 2 * Math.Sqrt(area / Math.PI),
            Shape.Square => Math.Sqrt(area),
            Shape.Triangle => Math.Sqrt(2 * area),
            _ => throw new ArgumentOutOfRangeException(nameof(shape), shape, null),
        };
        double half = side / 2, cx = centroidX;
        double cy = shape == Shape.Triangle ? centroidY - side / 6 : centroidY;   // a triangle's centroid lies a third of its height above its base
        bool Inside(double py, double px) => shape switch
        {
            Shape.Circle => (py - cy) * (py - cy) + (px - cx) * (px - cx) <= half * half,
            Shape.Square => Math.Abs(py - cy) <= half && Math.Abs(px - cx) <= half,
            _ => py >= cy - half && py <= cy + half && Math.Abs(px - cx) <= half * (py - (cy - half)) / side,
        };
        var map = new float[h * w];
        // only the pixels the shape's box touches can be covered (the rest stay 0)
        int y0 = Math.Max(0, (int)Math.Floor(cy - half)), y1 = Math.Min(h - 1, (int)Math.Ceiling(cy + half));
        int x0 = Math.Max(0, (int)Math.Floor(cx - half)), x1 = Math.Min(w - 1, (int)Math.Ceiling(cx + half));
        for (int y = y0; y <= y1; y++)
            for (int x = x0; x <= x1; x++)
            {
                int inside = 0;
                for (int sy = 0; sy < SubSamples; sy++)
                    for (int sx = 0; sx < SubSamples; sx++)
                        inside += Inside(y + (sy + 0.5) / SubSamples, x + (sx + 0.5) / SubSamples) ? 1 : 0;
                map[y * w + x] = inside / (float)(SubSamples * SubSamples);
            }
        return Array.ConvertAll(WorldRenderer.Optics(map, h, w), v => (double)v);   // the camera's point-spread, as the renderer applies it
    }
}
