namespace Pipeline.Training.World;

/// <summary>
/// Separable resizing of a single-channel map on plain arrays: bilinear (half-pixel centres, as torch's
/// <c>align_corners=False</c>) when enlarging an axis, area averaging when shrinking it.
/// </summary>
internal static class Resample
{
    /// <summary>Weights of output indices [start, start+count) of an axis resized from <paramref name="input"/> to <paramref name="output"/>.</summary>
    public static (int Index, float Weight)[][] AxisWeights(int input, int output, int start, int count)
    {
        var rows = new (int, float)[count][];
        double scale = (double)input / output;
        for (int k = 0; k < count; k++)
        {
            int o = start + k;
            if (output >= input)
            {
                double src = Math.Clamp((o + 0.5) * scale - 0.5, 0, input - 1);
                int i0 = (int)Math.Floor(src), i1 = Math.Min(i0 + 1, input - 1);
                float f = (float)(src - i0);
                rows[k] = f == 0 || i0 == i1 ? new[] { (i0, 1f) } : new[] { (i0, 1 - f), (i1, f) };
            }
            else
            {
                double lo = o * scale, hi = (o + 1) * scale;
                var list = new List<(int, float)>();
                for (int i = (int)Math.Floor(lo); i < Math.Min(input, (int)Math.Ceiling(hi)); i++)
                {
                    double overlap = Math.Min(hi, i + 1) - Math.Max(lo, i);
                    if (overlap > 0) list.Add((i, (float)(overlap / scale)));
                }
                rows[k] = list.ToArray();
            }
        }
        return rows;
    }

    /// <summary>Resizes <paramref name="map"/> [h, w] to [outH, outW] and returns the window [top, top+height) × [left, left+width).</summary>
    public static float[] ResizeWindow(float[] map, int h, int w, int outH, int outW, int top, int left, int height, int width)
    {
        var ry = AxisWeights(h, outH, top, height);
        var rx = AxisWeights(w, outW, left, width);
        var tmp = new float[height * w];
        for (int y = 0; y < height; y++)
            foreach (var (iy, wy) in ry[y])
            {
                int src = iy * w, dst = y * w;
                for (int x = 0; x < w; x++) tmp[dst + x] += wy * map[src + x];
            }
        var result = new float[height * width];
        for (int y = 0; y < height; y++)
            for (int x = 0; x < width; x++)
            {
                float s = 0;
                foreach (var (ix, wx) in rx[x]) s += wx * tmp[y * w + ix];
                result[y * width + x] = s;
            }
        return result;
    }
}
