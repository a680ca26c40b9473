using Pipeline.Cli;
using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Cli;
using Pipeline.Tests.Stages;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>Outpainting = inpainting on a padded canvas: sizes, the fill, the kept pixels.</summary>
public sealed class OutpaintTests() : TinyModelWithImage(8)
{
    [Theory]
    [InlineData("0,32,0,0", null)]
    [InlineData("8, 8, 16, 0", null)]
    [InlineData("0,30,0,0", "multiple of 8")]
    [InlineData("0,0,0,0", "0 on every side")]
    [InlineData("0,-8,0,0", "multiple of 8")]
    [InlineData("8,8", "four whole numbers")]
    public void Padding_is_four_multiples_of_8(string text, string? error)
    {
        if (error is null) Assert.Equal(text.Replace(" ", ""), OutpaintPadding.Parse(text).ToString());
        else Assert.Contains(error, Assert.Throws<ArgumentException>(() => OutpaintPadding.Parse(text)).Message);
    }

    [Fact]
    public void The_canvas_holds_the_image_and_extends_its_edges_with_a_little_seeded_noise()
    {
        var padding = new OutpaintPadding(8, 16, 0, 24);
        using var canvas = OutpaintStage.Canvas(_image, padding, seed: 3);
        using var again = OutpaintStage.Canvas(_image, padding, seed: 3);
        using var scope = NewDisposeScope();
        long h = _image.shape[2], w = _image.shape[3];
        Assert.Equal(new long[] { 1, 3, h + 24, w + 24 }, canvas.shape);
        Assert.True(canvas[.., .., ..(int)h, 8..(int)(8 + w)].eq(_image).all().item<bool>(), "the original region changed");
        Assert.True(canvas.eq(again).all().item<bool>(), "not deterministic");
        // The right border continues the last column (up to the noise), the bottom the last row.
        var right = canvas[.., .., ..(int)h, (int)(8 + w)..] - _image[.., .., .., ^1..];
        Assert.InRange(right.std().item<float>(), 0.02, 0.08);
        Assert.True(canvas.min().item<float>() >= 0 && canvas.max().item<float>() <= 1);
        using var mask = OutpaintStage.Mask(_image, padding);
        Assert.Equal((h + 24) * (w + 24) - h * w, mask.sum().item<float>());
    }

    [Fact]
    public void An_outpainted_image_is_larger_by_the_padding_and_keeps_the_original_outside_the_seam()
    {
        var padding = new OutpaintPadding(0, 32, 0, 0);
        var size = new Pipeline.Conditioning.ImageSize(TinyPlans.Size.Height, TinyPlans.Size.Width + 32);
        using var outpaint = OutpaintStage.Prepare(_image, padding, strength: 1.0, maskBlur: 4, seed: 5);
        var plan = TinyPlans.TextToImage(_model, size: size, steps: 4, seed: 5).WithInit(outpaint.Init);
        using var result = plan.Run();
        Assert.Equal(new long[] { 1, 3, size.Height, size.Width }, result.Images.shape);
        int band = (int)(2.5 * 4 + 0.5);   // the blur kernel's radius
        int keep = TinyPlans.Size.Width - band;
        using var scope = NewDisposeScope();
        Assert.True(result.Images[.., .., .., ..keep].eq(_image[.., .., .., ..keep]).all().item<bool>(), "pixels outside the seam changed");
        Assert.False(result.Images[.., .., .., TinyPlans.Size.Width..].eq(outpaint.Canvas[.., .., .., TinyPlans.Size.Width..]).all().item<bool>(), "the border was not painted");
    }

    [Fact]
    public void The_CLI_outpaints_with_img2img()
    {
        using var folder = new TinyCheckpointFolder(_model);
        string dir = folder.Dir, checkpoint = folder.Checkpoint;
        var image = Path.Combine(dir, "in.png");
        PngImage.WriteAtomically(image, PngImage.Encode(_image[0]));
        var output = Path.Combine(dir, "out.png");
        string[] common = { "--checkpoint", checkpoint, "--steps", "3", "--seed", "3", "--sampler", "euler" };
        var (code, text) = CliHarness.Sdxl(new[] { "img2img", image, "a red circle", "--outpaint", "0,0,16,8", "--strength", "1", "--out", output }.Concat(common).ToArray());
        Assert.True(code == ExitCodes.Ok, text);
        Assert.Equal((TinyPlans.Size.Width, TinyPlans.Size.Height + 24), ImageHeader.Size(output));
        (code, text) = CliHarness.Sdxl(new[] { "img2img", image, "a red circle", "--outpaint", "0,12,0,0", "--out", Path.Combine(dir, "n.png") }.Concat(common).ToArray());
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("multiple of 8", text);
    }
}
