using Pipeline.Models.Vae;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>Tile layout and blending, with stand-in decoders whose untiled result is known exactly.</summary>
public class TiledDecodingTests
{
    public static IEnumerable<object[]> Geometries =>
    [
        [37, 50, 16, 5], [16, 16, 16, 4], [10, 90, 32, 8], [64, 65, 32, 16], [5, 7, 4, 1], [33, 33, 8, 0], [50, 57, 32, 8],
    ];

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Cores_partition_the_latent_and_blend_weights_sum_to_one(int h, int w, int tile, int overlap)
    {
        const int factor = 3;
        var tiles = TiledDecoding.Layout(h, w, new TiledDecodeSettings(tile, overlap));
        var coreCount = new int[h, w];
        var weightSum = new double[h * factor, w * factor];
        foreach (var t in tiles)
        {
            Assert.InRange(t.Top, 0, h - t.Height);
            Assert.InRange(t.Left, 0, w - t.Width);
            var wy = t.Vertical.Weights(t.Height, factor);
            var wx = t.Horizontal.Weights(t.Width, factor);
            for (int y = 0; y < wy.Length; y++)
            for (int x = 0; x < wx.Length; x++)
                weightSum[t.Top * factor + y, t.Left * factor + x] += wy[y] * wx[x];
            for (int y = t.Core.Top; y < t.Core.Bottom; y++)
            for (int x = t.Core.Left; x < t.Core.Right; x++)
                coreCount[t.Top + y, t.Left + x]++;
        }
        for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            Assert.True(coreCount[y, x] == 1, $"pixel ({y}, {x}) is in {coreCount[y, x]} cores");
        for (int y = 0; y < h * factor; y++)
        for (int x = 0; x < w * factor; x++)
            Assert.True(Math.Abs(weightSum[y, x] - 1) < 1e-6, $"blend weights at output ({y}, {x}) sum to {weightSum[y, x]}");
    }

    [Theory]
    [MemberData(nameof(Geometries))]
    public void A_tile_independent_decoder_is_reproduced_exactly(int h, int w, int tile, int overlap)
    {
        using var scope = NewDisposeScope();
        const int factor = 4;
        var z = randn(new long[] { 2, 3, h, w }, generator: new Generator(7));
        Tensor Pointwise(Tensor t) => nn.functional.interpolate(t.tanh() * 2, scale_factor: new[] { (double)factor, factor }, mode: InterpolationMode.Nearest);
        var tiled = TiledDecoding.Decode((t, _) => Pointwise(t), z, factor, new TiledDecodeSettings(tile, overlap));
        var full = Pointwise(z);
        Assert.True((tiled - full).abs().max().item<float>() < 1e-5f);
    }

    [Fact]
    public void Tiles_that_disagree_are_feathered_not_cut()
    {
        using var scope = NewDisposeScope();
        const int factor = 8, overlap = 8;
        var z = zeros(1, 1, 24, 60);
        var settings = new TiledDecodeSettings(24, overlap);
        // Every tile decodes to a different constant brightness: the worst seam a per-tile decode can make.
        var offsets = new Dictionary<(int, int), float>();
        var tiled = TiledDecoding.Decode((t, tile) =>
        {
            float offset = offsets.Count % 2 == 0 ? 0f : 1f;
            offsets[(tile.Top, tile.Left)] = offset;
            return full(new long[] { 1, 1, t.shape[2] * factor, t.shape[3] * factor }, offset);
        }, z, factor, settings);
        Assert.True(offsets.Count >= 3);
        var jump = (tiled[.., .., .., 1..] - tiled[.., .., .., ..^1]).abs().max().item<float>();
        // A hard cut would jump by the full offset difference (1); the linear ramp spreads it over the overlap.
        Assert.True(jump <= 1.0f / (overlap * factor) + 1e-5f, $"largest step between neighbouring pixels {jump}");
        Assert.InRange(tiled.min().item<float>(), -1e-6f, 1 + 1e-6f);
    }

    [Fact]
    public void Invalid_settings_are_named()
    {
        Assert.Contains("Overlap", Assert.Throws<ArgumentException>(() => new TiledDecodeSettings(16, 16).Validate()).Message);
        Assert.Contains("TileSize", Assert.Throws<ArgumentException>(() => new TiledDecodeSettings(0, 0).Validate()).Message);
        Assert.Contains("StatisticsPasses", Assert.Throws<ArgumentException>(() => new TiledDecodeSettings(16, 4, -1).Validate()).Message);
    }
}
