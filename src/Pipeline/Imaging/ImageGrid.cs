using static TorchSharp.torch;

namespace Pipeline.Imaging;

/// <summary>A labelled grid of images (rows × columns) on a white background, as one RGB image [3, H, W] in [0, 1].</summary>
public static class ImageGrid
{
    public static Tensor Compose(IReadOnlyList<Tensor> images, int columns, IReadOnlyList<string>? rowLabels = null,
        IReadOnlyList<string>? columnLabels = null, int padding = 4, int labelScale = 1)
    {
        if (images.Count == 0) throw new ArgumentException("a grid needs at least one image");
        if (columns < 1) throw new ArgumentOutOfRangeException(nameof(columns), "columns must be >= 1");
        int rows = (images.Count + columns - 1) / columns;
        if (rowLabels is not null && rowLabels.Count != rows) throw new ArgumentException($"{rowLabels.Count} row labels for {rows} rows");
        if (columnLabels is not null && columnLabels.Count != columns) throw new ArgumentException($"{columnLabels.Count} column labels for {columns} columns");
        long h = images.Max(i => i.shape[1]), w = images.Max(i => i.shape[2]);
        int textH = BitmapFont.GlyphHeight * labelScale;
        int left = rowLabels is null ? 0 : rowLabels.Max(l => BitmapFont.Width(l, labelScale)) + 2 * padding;
        int top = columnLabels is null ? 0 : textH + 2 * padding;
        long width = left + columns * (w + padding) + padding, height = top + rows * (h + padding) + padding;

        using var scope = NewDisposeScope();
        var canvas = ones(3, height, width);
        for (int i = 0; i < images.Count; i++)
        {
            long y = top + padding + i / columns * (h + padding), x = left + padding + i % columns * (w + padding);
            var img = images[i].to(ScalarType.Float32).cpu();
            canvas[.., (int)y..(int)(y + img.shape[1]), (int)x..(int)(x + img.shape[2])] = img;
        }
        for (int r = 0; rowLabels is not null && r < rows; r++)
            Ink(canvas, rowLabels[r], labelScale, padding, top + padding + r * (h + padding) + (h - textH) / 2);
        for (int c = 0; columnLabels is not null && c < columns; c++)
            Ink(canvas, columnLabels[c], labelScale, left + padding + c * (w + padding) + Math.Max(0, (w - BitmapFont.Width(columnLabels[c], labelScale)) / 2), padding);
        return canvas.MoveToOuterDisposeScope();
    }

    static void Ink(Tensor canvas, string text, int scale, long x0, long y0)
    {
        var mask = BitmapFont.Render(text, scale);
        int mh = mask.GetLength(0), mw = mask.GetLength(1);
        long maxW = canvas.shape[2] - x0, maxH = canvas.shape[1] - y0;
        var flat = new float[mh * mw];
        for (int y = 0; y < mh; y++) for (int x = 0; x < mw; x++) flat[y * mw + x] = mask[y, x] ? 0f : 1f;
        using var m = tensor(flat).reshape(1, mh, mw)[.., ..(int)Math.Min(mh, maxH), ..(int)Math.Min(mw, maxW)];
        var region = canvas[.., (int)y0..(int)(y0 + m.shape[1]), (int)x0..(int)(x0 + m.shape[2])];
        region.mul_(m);
    }
}
