using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>
/// How to decode large latents in overlapping tiles: <see cref="TileSize"/> and <see cref="Overlap"/> in latent
/// pixels (×8 in the image for SDXL). Each tile is decoded alone (bounded memory), and neighbours are blended
/// with linear ramps across their whole overlap, so seams fade instead of showing.
/// </summary>
public sealed record TiledDecodeSettings(int TileSize = 64, int Overlap = 16)
{
    public TiledDecodeSettings Validate()
    {
        if (TileSize < 1) throw new ArgumentException($"TileSize must be >= 1 latent pixel, got {TileSize}");
        if (Overlap < 0 || Overlap >= TileSize) throw new ArgumentException($"Overlap must be in [0, TileSize) = [0, {TileSize}), got {Overlap}");
        return this;
    }
}

/// <summary>Tile placement, blend weights and the blended assembly, independent of the decoder itself.</summary>
public static class TiledDecoding
{
    /// <summary>
    /// Tile starts covering [0, <paramref name="length"/>): a stride of <c>tile − overlap</c>, the last tile aligned
    /// to the end (so it may overlap its neighbour by more). One tile when the length fits.
    /// </summary>
    public static IReadOnlyList<int> Starts(int length, int tile, int overlap)
    {
        if (length < 1) throw new ArgumentException($"length must be >= 1, got {length}");
        new TiledDecodeSettings(tile, overlap).Validate();
        if (length <= tile) return new[] { 0 };
        int stride = tile - overlap;
        var starts = new List<int>();
        for (int s = 0; s + tile < length; s += stride) starts.Add(s);
        starts.Add(length - tile);
        return starts;
    }

    /// <summary>
    /// Blend weight along one axis of a tile of <paramref name="length"/> pixels: rising linearly over the first
    /// <paramref name="rampIn"/> pixels and falling over the last <paramref name="rampOut"/> (0: no ramp), value
    /// (i + ½) / ramp inside a ramp, so two tiles ramping across the same overlap sum to exactly 1.
    /// </summary>
    public static float[] Ramp(int length, int rampIn, int rampOut)
    {
        var w = new float[length];
        for (int i = 0; i < length; i++)
        {
            double v = 1.0;
            if (rampIn > 0 && i < rampIn) v = Math.Min(v, (i + 0.5) / rampIn);
            if (rampOut > 0 && i >= length - rampOut) v = Math.Min(v, (length - i - 0.5) / rampOut);
            w[i] = (float)v;
        }
        return w;
    }

    /// <summary>
    /// Decodes <paramref name="z"/> [B, C, h, w] tile by tile with <paramref name="decodeTile"/> (which must map a
    /// [B, C, th, tw] tile to [B, C', th·f, tw·f]) and blends the tiles into [B, C', h·f, w·f].
    /// </summary>
    public static Tensor Decode(Func<Tensor, Tensor> decodeTile, Tensor z, int factor, TiledDecodeSettings settings)
    {
        ArgumentNullException.ThrowIfNull(decodeTile);
        ArgumentNullException.ThrowIfNull(z);
        settings.Validate();
        if (z.dim() != 4) throw new ArgumentException($"latent must be [B, C, H, W], got [{string.Join(", ", z.shape)}]");
        int h = (int)z.shape[2], w = (int)z.shape[3];
        var ys = Starts(h, settings.TileSize, settings.Overlap);
        var xs = Starts(w, settings.TileSize, settings.Overlap);
        int th = Math.Min(settings.TileSize, h), tw = Math.Min(settings.TileSize, w);

        using var scope = NewDisposeScope();
        Tensor? sum = null;
        Tensor? weightSum = null;
        for (int iy = 0; iy < ys.Count; iy++)
        for (int ix = 0; ix < xs.Count; ix++)
        {
            using var tileScope = NewDisposeScope();
            int y0 = ys[iy], x0 = xs[ix];
            var decoded = decodeTile(z[.., .., y0..(y0 + th), x0..(x0 + tw)]);
            if (decoded.dim() != 4 || decoded.shape[2] != th * factor || decoded.shape[3] != tw * factor)
                throw new InvalidOperationException($"tile decoder returned [{string.Join(", ", decoded.shape)}], expected [B, C, {th * factor}, {tw * factor}]");
            if (sum is null)
            {
                sum = zeros(new long[] { decoded.shape[0], decoded.shape[1], h * factor, w * factor }, decoded.dtype, decoded.device).MoveToOuterDisposeScope();
                weightSum = zeros(new long[] { h * factor, w * factor }, decoded.dtype, decoded.device).MoveToOuterDisposeScope();
            }
            var wy = Ramp(th * factor, RampIn(ys, iy, th) * factor, RampOut(ys, iy, th) * factor);
            var wx = Ramp(tw * factor, RampIn(xs, ix, tw) * factor, RampOut(xs, ix, tw) * factor);
            var weight = outer(tensor(wy, device: decoded.device), tensor(wx, device: decoded.device)).to(decoded.dtype);
            var ySlice = (y0 * factor)..((y0 + th) * factor);
            var xSlice = (x0 * factor)..((x0 + tw) * factor);
            sum[.., .., ySlice, xSlice].add_(decoded * weight);
            weightSum![ySlice, xSlice].add_(weight);
        }
        return (sum! / weightSum!).MoveToOuterDisposeScope();
    }

    static int RampIn(IReadOnlyList<int> starts, int i, int tile) => i == 0 ? 0 : starts[i - 1] + tile - starts[i];

    static int RampOut(IReadOnlyList<int> starts, int i, int tile) => i == starts.Count - 1 ? 0 : starts[i] + tile - starts[i + 1];
}
