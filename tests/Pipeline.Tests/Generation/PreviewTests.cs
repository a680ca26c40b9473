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

    /// <summary>
    /// The published SDXL factors (ComfyUI's, for RGB in [-1, 1]) are read from the embedded data and converted to our
    /// [0, 1] convention: for any latent the preview equals ComfyUI's formula ((z·W + b) + 1)/2, clamped.
    /// </summary>
    [Fact]
    public void The_published_sdxl_factors_give_ComfyUIs_preview_in_our_range_and_only_for_the_sdxl_vae()
    {
        using var scope = NewDisposeScope();
        var w = tensor(new float[] { 0.3651f, 0.4232f, 0.4341f, -0.2533f, -0.0042f, 0.1068f, 0.1076f, 0.1111f, -0.0362f, -0.3165f, -0.2492f, -0.2188f }, 4, 3);
        var b = tensor(new float[] { 0.1084f, -0.0175f, -0.0011f });
        using var g = new TorchSharp.torch.Generator(5);
        var z = randn(new long[] { 2, 4, 6, 5 }, generator: g) * 3;
        var comfy = ((z.permute(0, 2, 3, 1).matmul(w) + b + 1) / 2).clamp(0, 1).permute(0, 3, 1, 2);
        var ours = LatentPreview.Sdxl.Apply(z);
        Assert.True((ours - comfy).abs().max().item<float>() < 1e-6f);
        Assert.True(ours.gt(0).logical_and(ours.lt(1)).any().item<bool>() && ours.eq(0).any().item<bool>() && ours.eq(1).any().item<bool>(), "the test covers both clamps");
        Assert.True(LatentPreview.IsSdxlLatentSpace(Pipeline.Models.Vae.AutoencoderKLConfig.Sdxl));
        Assert.False(LatentPreview.IsSdxlLatentSpace(TinyModels.Base.Vae));

        using var model = SdxlModel.Create(TinyModels.Base);
        using var folder = new TinyCheckpointFolder(model);
        var (code, text) = CliHarness.Sdxl("txt2img", "a red circle", "--checkpoint", folder.Checkpoint, "--steps", "2", "--width", "32", "--height", "32",
            "--preview", folder.PathOf("p.png"), "--preview-mode", "sdxl", "--out", folder.PathOf("o.png"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--preview-mode linear", text);
        Assert.False(File.Exists(folder.PathOf("o.png")));
    }
}
