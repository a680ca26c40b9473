using Pipeline.Models.Bundles;
using Pipeline.Training.Evaluation;
using Pipeline.Training.World;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary>
/// The shipped VAE, measured against what issue 17 asked of it. The previous default's VAE (one channel per GroupNorm
/// group) reconstructed flat palette images with a mean error of 10.1 and a worst 4×4 patch of 40.0 (0–255): the
/// multicoloured speck in the top-left corner of every image (top-left error 2.65× the other corners'), PSNR 28.1 dB
/// and detector agreement 0.77 on the shape world. These tests pin the shipped one (8 groups, retrained 2026-12-04 with
/// a decoder-only third phase that mixes in flat backgrounds) near its measured levels (<c>VaeEvaluation</c>, seed
/// 424242, 64 images: PSNR 36.5 dB, agreement 0.984, flat mean 0.29, worst patch 2.7, top-left ×1.05), minus margins
/// for other CPUs' last bits. Without that phase the same VAE returned flat green with an 83/255 error along the bottom
/// row (worst patch averaged over the palette 13.1). The VAE of the fourth retrain (2026-12-05, phases 2 and 3 with
/// latent noise) measures 35.1 dB on the same 64 images (the one before it 36.5).
/// </summary>
public sealed class ShippedVaeTests(ITestOutputHelper output)
{
    static SdxlModel Load() => SdxlModel.Load(EmbeddedModels.Base ?? throw new InvalidOperationException("the embedded default is missing"));

    [Fact]
    public void Flat_images_come_back_flat_with_no_speck_anywhere()
    {
        using var model = Load();
        var (mean, worst) = VaeEvaluation.FlatImages(model.FirstStage);
        output.WriteLine($"flat palette images: mean error {mean:F2}, worst 4x4 patch {worst:F2} (0-255)");
        Assert.True(mean < 1, $"mean error {mean:F2}");
        Assert.True(worst < 6, $"worst 4x4 patch {worst:F2}: a speck");
    }

    [Fact]
    public void The_vae_reconstructs_the_shape_world_sharply_enough_for_the_detector()
    {
        using var model = Load();
        var report = VaeEvaluation.Measure(model.FirstStage, new ShapeWorldData(ShapeWorldSettings.Base(424242, 32)), batches: 2);
        output.WriteLine(report.ToString());
        Assert.True(report.Psnr >= 34, $"PSNR {report.Psnr:F2} dB");
        Assert.True(report.Agreement >= 0.92, $"detector agreement {report.Agreement:F3}");
        Assert.True(report.CornerErrorRatio < 1.5, $"top-left corner error {report.CornerErrorRatio:F2}x the other corners'");
        // Trained with latent noise (2026-12-05): small latent errors move outlines less. These 64 images: 0.057 with
        // 0.15·std noise on the latents; the VAE before it (no latent noise) 0.064. Last bits move it by far less than 0.004.
        Assert.True(report.NoisyLatentOutline <= 0.061, $"outline error of noisy latents {report.NoisyLatentOutline:F3}");
    }

    /// <summary>
    /// The VAE was trained on the eight palette colours only and cannot show another: pink (250, 120, 190) comes back as
    /// a different colour (the shipped VAE: a lilac, 218, 157, 224, 59 away), so no adapter of the UNet or the text encoders can make the default draw pink. Palette colours
    /// come back within a few units.
    /// </summary>
    [Fact]
    public void The_vae_keeps_palette_colours_and_turns_a_colour_outside_its_palette_into_another_one()
    {
        using var model = Load();
        var vae = model.FirstStage;
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        static Tensor Plain(WorldColor c) =>
            tensor(new[] { c.R / 127.5f - 1, c.G / 127.5f - 1, c.B / 127.5f - 1 }).reshape(1, 3, 1, 1).expand(1, 3, 64, 64).contiguous();
        float[] RoundTrip(WorldColor c) =>
            ((vae.Decode(vae.Encode(Plain(c)).Mode()).clamp(-1, 1)[0, .., 16..48, 16..48].mean(new long[] { 1, 2 }) + 1) * 127.5f).data<float>().ToArray();
        static double Distance(float[] rgb, WorldColor c) =>
            Math.Sqrt((rgb[0] - c.R) * (rgb[0] - c.R) + (rgb[1] - c.G) * (rgb[1] - c.G) + (rgb[2] - c.B) * (rgb[2] - c.B));
        var pink = RoundTrip(ShapeWorld.Pink);
        var palette = ShapeWorld.Colors.Select(c => (c.Name, Error: Distance(RoundTrip(c), c))).ToList();
        output.WriteLine($"pink (250, 120, 190) comes back ({pink[0]:F0}, {pink[1]:F0}, {pink[2]:F0}), {Distance(pink, ShapeWorld.Pink):F0} from pink; " +
            $"palette errors {string.Join(", ", palette.Select(p => $"{p.Name} {p.Error:F1}"))}");
        Assert.True(Distance(pink, ShapeWorld.Pink) > 40, $"pink error {Distance(pink, ShapeWorld.Pink):F0}");
        Assert.All(palette, p => Assert.True(p.Error < 3, $"{p.Name} comes back {p.Error:F1} off"));
    }
}
