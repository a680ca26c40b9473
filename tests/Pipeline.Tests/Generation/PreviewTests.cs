using Pipeline.Cli;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Cli;
using Pipeline.Tests.Stages;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>Live previews: the latent→RGB fit and the CLI's preview file.</summary>
public sealed class PreviewTests(ITestOutputHelper output)
{
    [Fact]
    public void The_fitted_preview_beats_the_mean_colour_on_the_shipped_vae_and_is_deterministic()
    {
        using var model = SdxlModel.Load(EmbeddedModels.Base!);
        var vae = model.FirstStage;
        var preview = LatentPreview.Fit(vae, seed: 3);
        Assert.Equal(4, preview.Weights.GetLength(0));
        Assert.Equal(3, preview.Weights.GetLength(1));
        Assert.Equal(preview.Weights.Cast<float>(), LatentPreview.Fit(vae, seed: 3).Weights.Cast<float>());
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Held-out colours (another seed's gradients): the preview against the real decode, per latent cell.
        using var g = new TorchSharp.torch.Generator(11);
        var images = nn.functional.interpolate(rand(new long[] { 8, 3, 2, 2 }, generator: g), new long[] { 64, 64 }, mode: InterpolationMode.Bilinear, align_corners: true);
        double scale = vae.Config.ScaleFactor;
        var z = vae.Encode(images * 2 - 1).Mode() * scale;
        var cells = nn.functional.avg_pool2d(((vae.Decode(z / scale) + 1) / 2).clamp(0, 1), 8, 8);
        var shown = preview.Apply(z);
        Assert.Equal(cells.shape, shown.shape);
        double error = (shown - cells).abs().mean().item<float>();
        double baseline = (cells.mean(new long[] { 0, 2, 3 }, keepdim: true) - cells).abs().mean().item<float>();
        // Measured 0.1195 vs 0.1438: a linear map of 4 latent channels is a rough picture of this tiny, non-linear VAE.
        output.WriteLine($"preview MAE per latent cell {error:F4} vs the mean colour's {baseline:F4}");
        Assert.True(error < 0.9 * baseline, $"preview {error:F4} vs mean colour {baseline:F4}");
        Assert.True(shown.min().item<float>() >= 0 && shown.max().item<float>() <= 1);
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("vae")]
    public void The_CLI_writes_a_preview_file_while_sampling(string mode)
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        using var folder = new TinyCheckpointFolder(model);
        string dir = folder.Dir, checkpoint = folder.Checkpoint;
        string preview = Path.Combine(dir, "preview.png"), image = Path.Combine(dir, "out.png");
        string[] common = { "--checkpoint", checkpoint, "--steps", "6", "--seed", "3", "--width", "32", "--height", "40" };
        var (code, text) = CliHarness.Sdxl(new[] { "txt2img", "a red circle", "--preview", preview, "--preview-every", "2", "--preview-mode", mode, "--out", image }.Concat(common).ToArray());
        Assert.True(code == ExitCodes.Ok, text);
        Assert.Equal((32, 40), ImageHeader.Size(preview));
        if (mode == "vae")
        {
            // The last preview is the final estimate's decode: the image itself.
            using var a = PngImage.Read(preview);
            using var b = PngImage.Read(image);
            Assert.True(a.eq(b).all().item<bool>());
        }
        (code, text) = CliHarness.Sdxl(new[] { "txt2img", "a red circle", "--preview-every", "2", "--out", image }.Concat(common).ToArray());
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("need --preview", text);
    }
}
