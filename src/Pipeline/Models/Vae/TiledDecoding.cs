using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>
/// How to decode large latents in overlapping tiles: <see cref="TileSize"/> and <see cref="Overlap"/> in latent
/// pixels (×8 in the image for SDXL), and <see cref="StatisticsPasses"/>, the recording passes that estimate
/// whole-image GroupNorm statistics shared by all tiles (0: each tile uses its own; each pass costs about one
/// more decode of the up path and makes one more GroupNorm layer exact).
/// </summary>
public sealed record TiledDecodeSettings(int TileSize = 64, int Overlap = 16, int StatisticsPasses = 1)
{
    public TiledDecodeSettings Validate()
    {
        if (TileSize < 1) throw new ArgumentException($"TileSize must be >= 1 latent pixel, got {TileSize}");
        if (Overlap < 0 || Overlap >= TileSize) throw new ArgumentException($"Overlap must be in [0, TileSize) = [0, {TileSize}), got {Overlap}");
        if (StatisticsPasses < 0) throw new ArgumentException($"StatisticsPasses must be >= 0, got {StatisticsPasses}");
        return this;
    }
}

/// <summary>
/// The part of a tile (latent pixels, relative to the tile) that it alone stands for: the cores of all tiles
/// partition the latent, splitting every overlap in the middle. <see cref="Height"/>/<see cref="Width"/>: the tile's size.
/// </summary>
public readonly record struct TileCore(int Top, int Bottom, int Left, int Right, int Height, int Width);

/// <summary>
/// A tile's blend weight along one axis, in latent pixels relative to the tile: it rises from 0 to 1 across
/// <see cref="Start"/> ± <see cref="StartHalfWidth"/> and falls back across <see cref="End"/> ± <see cref="EndHalfWidth"/>
/// (half width 0: a hard step; at the latent's border the step lies outside the tile). Neighbours share each
/// boundary and its half width, so their weights sum to exactly 1 everywhere.
/// </summary>
public readonly record struct Feather(double Start, double StartHalfWidth, double End, double EndHalfWidth)
{
    /// <summary>Weights of the <paramref name="length"/> · <paramref name="factor"/> output pixels of this axis (pixel centres).</summary>
    public float[] Weights(int length, int factor)
    {
        var w = new float[length * factor];
        for (int i = 0; i < w.Length; i++)
        {
            double x = (i + 0.5) / factor;
            double rise = StartHalfWidth > 0 ? Math.Clamp((x - Start + StartHalfWidth) / (2 * StartHalfWidth), 0, 1) : x >= Start ? 1 : 0;
            double fall = EndHalfWidth > 0 ? Math.Clamp((End + EndHalfWidth - x) / (2 * EndHalfWidth), 0, 1) : x < End ? 1 : 0;
            w[i] = (float)Math.Min(rise, fall);
        }
        return w;
    }
}

/// <summary>A tile in latent pixels: its place, its core (statistics) and its blend weights per axis.</summary>
public readonly record struct Tile(int Top, int Left, int Height, int Width, TileCore Core, Feather Vertical, Feather Horizontal);

/// <summary>Tile layout, blend weights and the blended assembly, independent of the decoder itself.</summary>
public static class TiledDecoding
{
    /// <summary>
    /// Tile starts covering [0, <paramref name="length"/>) with the fewest tiles whose neighbours overlap by at
    /// least <paramref name="overlap"/>, spread evenly (first at 0, last at the end). One tile when the length fits.
    /// </summary>
    public static IReadOnlyList<int> Starts(int length, int tile, int overlap)
    {
        if (length < 1) throw new ArgumentException($"length must be >= 1, got {length}");
        new TiledDecodeSettings(tile, overlap).Validate();
        if (length <= tile) return new[] { 0 };
        int count = 1 + (int)Math.Ceiling((double)(length - tile) / (tile - overlap));
        return Enumerable.Range(0, count)
            .Select(i => (int)Math.Round((double)i * (length - tile) / (count - 1), MidpointRounding.AwayFromZero))
            .ToArray();
    }

    /// <summary>
    /// The tiles of a <paramref name="height"/> × <paramref name="width"/> latent, row by row. Neighbours meet at the
    /// middle of their overlap; cores run between these boundaries, and blend ramps are centred on them, half as
    /// wide as the overlap (narrower where boundaries crowd), so a tile's outermost pixels, the least reliable
    /// ones, get no weight.
    /// </summary>
    public static IReadOnlyList<Tile> Layout(int height, int width, TiledDecodeSettings settings)
    {
        settings.Validate();
        var rows = Axis(height, settings);
        var cols = Axis(width, settings);
        return rows.SelectMany(r => cols.Select(c =>
            new Tile(r.Start, c.Start, r.Size, c.Size, new TileCore(r.CoreStart, r.CoreEnd, c.CoreStart, c.CoreEnd, r.Size, c.Size), r.Feather, c.Feather)))
            .ToArray();
    }

    readonly record struct AxisTile(int Start, int Size, int CoreStart, int CoreEnd, Feather Feather);

    static AxisTile[] Axis(int length, TiledDecodeSettings settings)
    {
        var starts = Starts(length, settings.TileSize, settings.Overlap);
        int size = Math.Min(settings.TileSize, length), n = starts.Count;
        // boundary[k] lies between tile k-1 and tile k (boundary[0] = 0, boundary[n] = length), absolute coordinates.
        var boundary = new double[n + 1];
        var overlap = new double[n + 1];
        boundary[0] = 0;
        boundary[n] = length;
        for (int k = 1; k < n; k++)
        {
            boundary[k] = (starts[k - 1] + size + starts[k]) / 2.0;
            overlap[k] = starts[k - 1] + size - starts[k];
        }
        var half = new double[n + 1];
        for (int k = 1; k < n; k++)
            half[k] = Math.Min(overlap[k] / 2, Math.Min(boundary[k] - boundary[k - 1], boundary[k + 1] - boundary[k]) / 2);
        return Enumerable.Range(0, n).Select(i =>
        {
            int s = starts[i];
            int coreStart = (int)Math.Ceiling(boundary[i] - 0.5), coreEnd = (int)Math.Ceiling(boundary[i + 1] - 0.5);
            double start = i == 0 ? double.NegativeInfinity : boundary[i] - s;
            double end = i == n - 1 ? double.PositiveInfinity : boundary[i + 1] - s;
            return new AxisTile(s, size, coreStart - s, coreEnd - s, new Feather(start, half[i], end, half[i + 1]));
        }).ToArray();
    }

    /// <summary>The [th, tw] slice of <paramref name="z"/> [B, C, H, W] that <paramref name="tile"/> covers.</summary>
    public static Tensor Slice(Tensor z, Tile tile) =>
        z[.., .., tile.Top..(tile.Top + tile.Height), tile.Left..(tile.Left + tile.Width)];

    /// <summary>
    /// Decodes <paramref name="z"/> [B, C, h, w] tile by tile with <paramref name="decodeTile"/> (which must map a
    /// [B, C, th, tw] tile to [B, C', th·f, tw·f]) and blends the tiles into [B, C', h·f, w·f].
    /// </summary>
    public static Tensor Decode(Func<Tensor, Tile, Tensor> decodeTile, Tensor z, int factor, TiledDecodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(decodeTile);
        ArgumentNullException.ThrowIfNull(z);
        if (z.dim() != 4) throw new ArgumentException($"latent must be [B, C, H, W], got [{string.Join(", ", z.shape)}]");
        if (factor < 1) throw new ArgumentException($"factor must be >= 1, got {factor}");
        int h = (int)z.shape[2], w = (int)z.shape[3];
        using var scope = NewDisposeScope();
        Tensor? sum = null;
        foreach (var tile in Layout(h, w, settings))
        {
            using var tileScope = NewDisposeScope();
            var decoded = decodeTile(Slice(z, tile), tile);
            if (decoded.dim() != 4 || decoded.shape[2] != tile.Height * factor || decoded.shape[3] != tile.Width * factor)
                throw new InvalidOperationException($"tile decoder returned [{string.Join(", ", decoded.shape)}], expected [B, C, {tile.Height * factor}, {tile.Width * factor}]");
            sum ??= zeros(new long[] { decoded.shape[0], decoded.shape[1], h * factor, w * factor }, decoded.dtype, decoded.device).MoveToOuterDisposeScope();
            var wy = tensor(tile.Vertical.Weights(tile.Height, factor), device: decoded.device);
            var wx = tensor(tile.Horizontal.Weights(tile.Width, factor), device: decoded.device);
            var weight = outer(wy, wx).to(decoded.dtype);
            var rows = (tile.Top * factor)..((tile.Top + tile.Height) * factor);
            var cols = (tile.Left * factor)..((tile.Left + tile.Width) * factor);
            using var one = 1.0.ToScalar();   // add_(t) alone makes its alpha a temporary Scalar the finaliser may free mid-call
            sum[.., .., rows, cols].add_(decoded * weight, one);   // the weights form a partition of unity
        }
        return sum!.MoveToOuterDisposeScope();
    }
}
