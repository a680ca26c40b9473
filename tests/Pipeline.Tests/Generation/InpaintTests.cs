using FsCheck;
using FsCheck.Fluent;
using Pipeline.Cli;
using Pipeline.Diffusion.Sampling;
using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Cli;
using Pipeline.Tests.Stages;
using Xunit;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>Inpainting with any model (masked img2img) as a plan: the kept region, the mask's blur, the composite.</summary>
public sealed class InpaintTests() : TinyModelWithImage(21)
{
    Tensor Mask(float value) => full(new long[] { 1, 1, TinyPlans.Size.Height, TinyPlans.Size.Width }, value);

    /// <summary>White (repaint) on the left half, black (keep) on the right, aligned to latent cells.</summary>
    Tensor HalfMask()
    {
        var m = zeros(1, 1, TinyPlans.Size.Height, TinyPlans.Size.Width);
        m[.., .., .., ..(TinyPlans.Size.Width / 2)] = 1;
        return m;
    }

    GenerationPlan Plan(string sampler = "euler") => TinyPlans.TextToImage(_model, steps: 6, seed: 4, sampler: sampler);

    [Fact]
    public void An_all_black_mask_gives_back_the_init_image_exactly()
    {
        using var black = Mask(0);
        using var result = Plan().WithInit(InitInput.FromImage(_image, 0.7).WithMask(new InpaintMask(black))).Run();
        Assert.True(result.Images.eq(_image).all().item<bool>(), "pixels outside the mask changed");
        Assert.Equal("4", result.Parameters[0].Extra!["Mask blur"]);
    }

    [Theory]
    [InlineData("euler")]
    [InlineData("euler_ancestral")]
    [InlineData("dpmpp_2m")]
    public void An_all_white_mask_is_img2img_with_the_same_seed_bit_for_bit(string sampler)
    {
        using var white = Mask(1);
        using var plain = Plan(sampler).WithInit(InitInput.FromImage(_image, 0.7)).Run();
        using var masked = Plan(sampler).WithInit(InitInput.FromImage(_image, 0.7).WithMask(new InpaintMask(white, Blur: 6))).Run();
        Assert.True(TinyPlans.Same(plain.Latents, masked.Latents), "latents differ");
        Assert.True(TinyPlans.Same(plain.Images, masked.Images), "images differ");
    }

    [Fact]
    public void The_kept_latent_is_the_init_latent_noised_to_each_sigma_at_every_step()
    {
        var plan = Plan();
        using var init = randn(plan.LatentShape, generator: new TorchSharp.torch.Generator(5));
        using var half = HalfMask();
        var masked = plan.WithInit(InitInput.FromLatent(init, 0.8).WithMask(new InpaintMask(half, Blur: 0)));
        // The run's first draw from its own noise source (seed, schedule) is the noise n of x = x0 + n·σ.
        var source = masked.Noise.Create(masked.Seed, masked.RunSigmas);
        using var n = source.Next(init);
        (source as IDisposable)?.Dispose();
        int half8 = (int)(plan.LatentShape[3] / 2);
        int steps = 0;
        double worst = 0;
        var options = new SamplingOptions(s =>
        {
            using var scope = NewDisposeScope();
            var expected = (init + n * s.NextSigma)[.., .., .., half8..];
            worst = Math.Max(worst, (s.X[.., .., .., half8..] - expected).abs().max().item<float>());
            steps++;
        });
        using var result = masked.Run(options);
        Assert.Equal(masked.RunSigmas.Steps, steps);
        Assert.True(worst < 1e-4, $"kept latent off the noised init by {worst}");
        // ... and the repainted half did change.
        Assert.False(TinyPlans.Same(result.Latents[.., .., .., ..half8], init[.., .., .., ..half8]));
        Assert.True(TinyPlans.Same(result.Latents[.., .., .., half8..], init[.., .., .., half8..]) ||
                    (result.Latents[.., .., .., half8..] - init[.., .., .., half8..]).abs().max().item<float>() < 1e-5);
    }

    [Fact]
    public void Inpainting_is_deterministic_described_and_leaves_no_tensors()
    {
        using var half = HalfMask();
        var plan = Plan().WithInit(InitInput.FromImage(_image, 0.7).WithMask(new InpaintMask(half)));
        Assert.Contains("inpaint", plan.Describe());
        using (var warm = plan.Run()) { }
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        bool same;
        using (var a = plan.Run())
        using (var b = plan.Run())
        using (NewDisposeScope())
            same = TinyPlans.Same(a.Images, b.Images);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.True(same, "two runs differ");
    }

    [Fact]
    public void Bad_masks_are_refused_before_any_work()
    {
        using var small = zeros(1, 1, 8, 8);
        using var outOfRange = Mask(2);
        using var half = HalfMask();
        var plan = Plan();
        Assert.Contains(plan.WithInit(InitInput.FromImage(_image, 0.5).WithMask(new InpaintMask(small))).Problems(), p => p.Contains("inpainting mask is [1, 1, 8, 8]"));
        Assert.Contains(plan.WithInit(InitInput.FromImage(_image, 0.5).WithMask(new InpaintMask(outOfRange))).Problems(), p => p.Contains("must be in [0, 1]"));
        Assert.Contains(plan.WithInit(InitInput.FromImage(_image, 0.5).WithMask(new InpaintMask(half, Blur: 100))).Problems(), p => p.Contains("mask blur 100"));
        using var refiner = SdxlModel.Create(TinyModels.Refiner);
        var withRefiner = plan.WithInit(InitInput.FromImage(_image, 0.5).WithMask(new InpaintMask(half)))
            .WithRefiner(RefinerStep.SdEdit(refiner, 0.3, 2, plan.Sampler, plan.Guider));
        Assert.Contains(withRefiner.Problems(), p => p.Contains("cannot have a refiner step"));
    }

    [Fact]
    public void Mask_blur_laws()
    {
        Prop.ForAll(Gen.Choose(1, 5).SelectMany(h => Gen.Choose(1, 5).SelectMany(w => Gen.Choose(0, 6).SelectMany(blur =>
                Gen.ArrayOf(Gen.Elements(0f, 1f), 64 * h * w).Select(bits => (h: 8 * h, w: 8 * w, blur, bits))))).ToArbitrary(),
            c =>
            {
                using var scope = NewDisposeScope();
                var mask = tensor(c.bits, new long[] { 1, 1, c.h, c.w });
                var blurred = InpaintStage.BlurMask(mask, c.blur);
                bool shape = blurred.shape.SequenceEqual(mask.shape);
                bool range = blurred.min().item<float>() >= 0 && blurred.max().item<float>() <= 1;
                bool identity = c.blur > 0 || blurred.eq(mask).all().item<bool>();
                bool flat0 = InpaintStage.BlurMask(zeros_like(mask), c.blur).eq(0).all().item<bool>();
                bool flat1 = InpaintStage.BlurMask(ones_like(mask), c.blur).eq(1).all().item<bool>();
                // Mirroring the mask mirrors its blur; a mask under another blurs under the other's blur.
                bool mirror = (InpaintStage.BlurMask(mask.flip(3), c.blur).flip(3) - blurred).abs().max().item<float>() < 1e-5;
                var more = maximum(mask, mask.roll(1, 3));
                bool monotone = (InpaintStage.BlurMask(more, c.blur) - blurred).min().item<float>() > -1e-5;
                var latent = InpaintStage.LatentMask(blurred, 8);
                bool cells = latent.shape[2] == c.h / 8 && latent.shape[3] == c.w / 8
                             && Math.Abs(latent.mean().item<float>() - blurred.mean().item<float>()) < 1e-5;
                return shape && range && identity && flat0 && flat1 && mirror && monotone && cells;
            }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Only_masked_crop_box_laws()
    {
        Prop.ForAll(Gen.Choose(2, 8).SelectMany(h8 => Gen.Choose(2, 8).SelectMany(w8 => Gen.Choose(0, 16).SelectMany(pad =>
                Gen.Choose(0, 8 * h8 - 1).SelectMany(t => Gen.Choose(0, 8 * w8 - 1).SelectMany(l =>
                    Gen.Choose(1, 8 * h8 - t).SelectMany(mh => Gen.Choose(1, 8 * w8 - l).Select(mw => (H: 8 * h8, W: 8 * w8, pad, t, l, mh, mw)))))))).ToArbitrary(),
            c =>
            {
                using var scope = NewDisposeScope();
                var mask = zeros(1, 1, c.H, c.W);
                mask[.., .., c.t..(c.t + c.mh), c.l..(c.l + c.mw)] = 1;
                var target = new Pipeline.Conditioning.ImageSize(c.H, c.W);
                var box = InpaintRegion.CropBox(mask, c.pad, target);
                bool inside = box.Top >= 0 && box.Left >= 0 && box.Bottom <= c.H && box.Right <= c.W && box.Height > 0 && box.Width > 0;
                bool covers = box.Top <= Math.Max(0, c.t - c.pad) && box.Left <= Math.Max(0, c.l - c.pad)
                              && box.Bottom >= Math.Min(c.H, c.t + c.mh + c.pad) && box.Right >= Math.Min(c.W, c.l + c.mw + c.pad);
                // The target's aspect ratio, unless the image itself is the limit on the side that had to grow.
                double ratio = (double)box.Width / box.Height, wanted = (double)c.W / c.H;
                bool aspect = Math.Abs(ratio - wanted) <= wanted * (1.0 / box.Height + 1.0 / box.Width) + 1e-9 || box.Width == c.W || box.Height == c.H;
                return inside && covers && aspect;
            }).QuickCheckThrowOnFailure();
        using var black = zeros(1, 1, 16, 16);
        Assert.Contains("all black", Assert.Throws<ArgumentException>(() => InpaintRegion.CropBox(black, 4, new Pipeline.Conditioning.ImageSize(16, 16))).Message);
    }

    [Fact]
    public void Only_masked_inpainting_keeps_everything_outside_its_box_and_records_the_area()
    {
        using var mask = zeros(1, 1, TinyPlans.Size.Height, TinyPlans.Size.Width);
        mask[.., .., 8..16, 8..16] = 1;
        using var result = InpaintRegion.Run(Plan(), _image, new InpaintMask(mask, Blur: 2), padding: 4, strength: 0.9);
        var box = InpaintRegion.CropBox(mask, 4, TinyPlans.Size);
        Assert.Equal(_image.shape, result.Images.shape);
        using var scope = NewDisposeScope();
        var outside = ones(1, 1, TinyPlans.Size.Height, TinyPlans.Size.Width);
        outside[.., .., box.Top..box.Bottom, box.Left..box.Right] = 0;
        Assert.True((result.Images * outside).eq(_image * outside).all().item<bool>(), "pixels outside the crop box changed");
        Assert.False(result.Images[.., .., 8..16, 8..16].eq(_image[.., .., 8..16, 8..16]).all().item<bool>(), "the masked square was not repainted");
        Assert.Equal("Only masked", result.Parameters[0].Extra!["Inpaint area"]);
        Assert.Equal("4", result.Parameters[0].Extra!["Masked area padding"]);
    }

    [Fact]
    public void The_CLI_inpaints_keeps_the_unmasked_pixels_and_refuses_a_mask_of_another_size()
    {
        using var folder = new TinyCheckpointFolder(_model);
        string dir = folder.Dir, checkpoint = folder.Checkpoint;
        string image = Path.Combine(dir, "in.png"), mask = Path.Combine(dir, "mask.png"), wrong = Path.Combine(dir, "wrong.png");
        PngImage.WriteAtomically(image, PngImage.Encode(_image[0]));
        using (var m = HalfMask().expand(1, 3, -1, -1)) PngImage.WriteAtomically(mask, PngImage.Encode(m[0]));
        using (var w = zeros(3, 16, 16)) PngImage.WriteAtomically(wrong, PngImage.Encode(w));
        var output = Path.Combine(dir, "out.png");
        string[] common = { "--checkpoint", checkpoint, "--steps", "4", "--seed", "3", "--sampler", "euler", "--mask-blur", "0" };
        var (code, text) = CliHarness.Sdxl(new[] { "inpaint", image, mask, "a blue circle", "--out", output }.Concat(common).ToArray());
        Assert.True(code == ExitCodes.Ok, text);
        using var input = PngImage.Read(image);
        using var result = PngImage.Read(output);
        int half = TinyPlans.Size.Width / 2;
        Assert.True(result[.., .., half..].eq(input[.., .., half..]).all().item<bool>(), "kept pixels changed");
        Assert.False(result[.., .., ..half].eq(input[.., .., ..half]).all().item<bool>(), "nothing was repainted");
        Assert.Contains("Mask blur: 0", PngTextChunks.Read(File.ReadAllBytes(output))["parameters"]);

        (code, text) = CliHarness.Sdxl(new[] { "inpaint", image, wrong, "a blue circle", "--out", Path.Combine(dir, "n.png") }.Concat(common).ToArray());
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("the mask is 16x16 but the image is", text);
    }
}
