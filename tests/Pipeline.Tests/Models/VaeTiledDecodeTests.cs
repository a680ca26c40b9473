using Pipeline.Models.Vae;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>
/// Tiled against untiled decoding with the golden VAE weights. Random weights make this a hard case: the
/// output depends strongly on GroupNorm statistics, which tiles only share through the recording passes.
/// </summary>
public class VaeTiledDecodeTests(ITestOutputHelper output)
{
    static AutoencoderKL LoadVae()
    {
        var name = GoldenSet.Sgm.Cases.First(c => c.StartsWith("vae_", StringComparison.Ordinal));
        using var g = GoldenSet.Sgm.Open(name);
        return VaeParityTests.LoadModel(g);
    }

    /// <summary>A latent with smooth structure and fine detail, like real ones: tiles see different content.</summary>
    static Tensor Latent(AutoencoderKL vae, int h, int w, long seed)
    {
        var gen = new Generator((ulong)seed);
        var coarse = nn.functional.avg_pool2d(randn(new long[] { 1, vae.Config.EmbedDim, h + 4, w + 4 }, generator: gen), 5, 1) * 2;
        return coarse + 0.5 * randn(new long[] { 1, vae.Config.EmbedDim, h, w }, generator: gen);
    }

    /// <summary>GroupNorms in the decoder's up path and norm_out: recording passes needed for exact statistics.</summary>
    static int TailGroupNorms(AutoencoderKLConfig c)
    {
        int count = 1, resolution = c.Resolution / c.DownscaleFactor;
        for (int level = c.Levels - 1; level >= 0; level--, resolution *= 2)
            count += (c.NumResBlocks + 1) * (c.AttnResolutions.Contains(resolution) ? 3 : 2);
        return count;
    }

    /// <summary>Image pixels inside exactly one tile and at least <paramref name="margin"/> latent pixels from its inner edges.</summary>
    static Tensor Interior(int h, int w, TiledDecodeSettings settings, int margin, int factor)
    {
        var mask = zeros(h, w, dtype: ScalarType.Int32);
        var tiles = TiledDecoding.Layout(h, w, settings);
        foreach (var t in tiles) mask[t.Top..(t.Top + t.Height), t.Left..(t.Left + t.Width)].add_(1);
        var single = mask == 1;
        var far = ones(h, w, dtype: ScalarType.Bool);
        foreach (var t in tiles)
        {
            if (double.IsFinite(t.Vertical.Start)) far[t.Top..Math.Min(h, t.Top + margin), ..] = false;
            if (double.IsFinite(t.Vertical.End)) far[Math.Max(0, t.Top + t.Height - margin)..(t.Top + t.Height), ..] = false;
            if (double.IsFinite(t.Horizontal.Start)) far[.., t.Left..Math.Min(w, t.Left + margin)] = false;
            if (double.IsFinite(t.Horizontal.End)) far[.., Math.Max(0, t.Left + t.Width - margin)..(t.Left + t.Width)] = false;
        }
        var latentMask = (single & far).to(ScalarType.Float32).unsqueeze(0).unsqueeze(0);
        return nn.functional.interpolate(latentMask, scale_factor: new[] { (double)factor, factor }, mode: InterpolationMode.Nearest) > 0.5;
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    public void One_tile_covering_the_latent_equals_the_untiled_decode(int passes)
    {
        using var vae = LoadVae();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var z = Latent(vae, 12, 20, 1);
        var err = GoldenAssert.ScaledError(vae.Decode(z), vae.DecodeTiled(z, new TiledDecodeSettings(32, 8, passes)));
        output.WriteLine($"passes {passes}: scaled error {err:E2}");
        Assert.True(err < 1e-5, $"single-tile decode differs by {err:E2}");
    }

    [Fact]
    public void With_converged_statistics_tile_interiors_equal_the_untiled_decode()
    {
        using var vae = LoadVae();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int factor = vae.Config.DownscaleFactor, h = 16, w = 56;
        var settings = new TiledDecodeSettings(32, 16, TailGroupNorms(vae.Config));
        var z = Latent(vae, h, w, 2);
        var full = vae.Decode(z);
        var tiled = vae.DecodeTiled(z, settings);
        var interior = Interior(h, w, settings, margin: settings.Overlap / 2, factor).expand_as(full);
        var err = (full - tiled).abs().masked_select(interior).max().item<float>() / Math.Max(1f, full.abs().max().item<float>());
        output.WriteLine($"{settings.StatisticsPasses} passes: interior scaled error {err:E2} over {interior.sum().item<long>()} values");
        Assert.True(err < 1e-3, $"interior scaled error {err:E2}");
    }

    [Fact]
    public void Default_tiling_agrees_away_from_borders_and_shows_no_seam()
    {
        using var vae = LoadVae();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        int factor = vae.Config.DownscaleFactor, h = 40, w = 56;
        var settings = new TiledDecodeSettings(TileSize: 24, Overlap: 8);   // default passes
        var z = Latent(vae, h, w, 3);
        var full = vae.Decode(z);
        var tiled = vae.DecodeTiled(z, settings);
        float scale = Math.Max(1f, full.abs().max().item<float>());

        var interior = Interior(h, w, settings, margin: settings.Overlap / 2, factor).expand_as(full);
        var diff = (full - tiled).abs().masked_select(interior);
        float meanErr = diff.mean().item<float>() / scale, maxErr = diff.max().item<float>() / scale;

        // Seams: neighbouring-pixel steps inside the blend zones, tiled vs untiled.
        var blend = ~Interior(h, w, settings, margin: 0, factor);
        float Step(Tensor img, bool horizontal, Tensor zone)
        {
            var d = horizontal ? img[.., .., .., 1..] - img[.., .., .., ..^1] : img[.., .., 1.., ..] - img[.., .., ..^1, ..];
            var z2 = horizontal ? zone[.., .., .., 1..] & zone[.., .., .., ..^1] : zone[.., .., 1.., ..] & zone[.., .., ..^1, ..];
            return d.abs().masked_select(z2.expand_as(d)).max().item<float>();
        }
        float hTiled = Step(tiled, true, blend), hFull = Step(full, true, blend);
        float vTiled = Step(tiled, false, blend), vFull = Step(full, false, blend);
        output.WriteLine($"interior: mean {meanErr:E2}, max {maxErr:E2} (scaled); largest step in blend zones: horizontal {hTiled:F3} vs untiled {hFull:F3}, vertical {vTiled:F3} vs {vFull:F3}");

        Assert.True(meanErr < 2e-2, $"interior mean scaled error {meanErr:E2}");
        Assert.True(maxErr < 1.5e-1, $"interior max scaled error {maxErr:E2}");
        Assert.True(hTiled <= 1.2f * hFull && vTiled <= 1.2f * vFull, "tile borders show steeper steps than the untiled image");
    }
}
