using Pipeline.Checkpoints;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Stages;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>SDXL inpainting models: 9 UNet input channels (latent, mask, masked-image latent) fed by the concat conditioning.</summary>
public sealed class InpaintingModelTests
{
    static SdxlModelConfig TinyInpaint => TinyModels.Base with { Name = "tiny-inpaint", UNet = TinyModels.Base.UNet with { InChannels = 9 } };

    [Fact]
    public void The_9_channel_base_on_meta_has_the_base_layout_with_a_wider_first_conv()
    {
        using var scope = NewDisposeScope();
        using var inpaint = SdxlModel.Create(SdxlModelConfig.SdxlInpaint, META);
        using var base_ = SdxlModel.Create(SdxlModelConfig.SdxlBase, META);
        var a = inpaint.NamedTensors().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        var b = base_.NamedTensors().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal(b.Keys.OrderBy(k => k, StringComparer.Ordinal), a.Keys.OrderBy(k => k, StringComparer.Ordinal));
        const string first = "model.diffusion_model.input_blocks.0.0.weight";
        Assert.Equal(new long[] { 320, 9, 3, 3 }, a[first]);
        Assert.Equal(new long[] { 320, 4, 3, 3 }, b[first]);
        Assert.All(a.Where(kv => kv.Key != first), kv => Assert.Equal(b[kv.Key], kv.Value));
        Assert.True(SdxlModelConfig.SdxlInpaint.IsInpainting);
        Assert.False(SdxlModelConfig.SdxlBase.IsInpainting);
        Assert.Same(SdxlModelConfig.SdxlInpaint, SdxlModelConfig.ByName("sdxl-inpaint"));
    }

    [Fact]
    public void A_released_layout_file_with_9_input_channels_reads_as_the_inpainting_config()
    {
        var dir = Directory.CreateTempSubdirectory("inpaint-layout").FullName;
        try
        {
            var path = Path.Combine(dir, "header.safetensors");
            using (var w = zeros(new long[] { 320, 9, 3, 3 }, ScalarType.Float16))
            using (var t = zeros(new long[] { 2 }, ScalarType.Float16))
                SafeTensorsWriter.Write(path, new List<KeyValuePair<string, Tensor>>
                {
                    new("conditioner.embedders.0.transformer.text_model.embeddings.position_ids", t),
                    new("model.diffusion_model.input_blocks.0.0.weight", w),
                });
            Assert.Same(SdxlModelConfig.SdxlInpaint, SdxlModel.ReadConfig(path));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_tiny_inpainting_model_reads_the_mask_and_masked_image_and_runs_deterministically()
    {
        using var model = SdxlModel.Create(TinyInpaint);
        using var g = new TorchSharp.torch.Generator(3);
        using var image = rand(new long[] { 1, 3, TinyPlans.Size.Height, TinyPlans.Size.Width }, generator: g);
        using var mask = zeros(1, 1, TinyPlans.Size.Height, TinyPlans.Size.Width);
        mask[.., .., ..16, ..] = 1;
        using (var scope = NewDisposeScope())
        {
            var concat = InpaintStage.ModelConcat(model, image, mask, 2);
            Assert.Equal(new long[] { 2, 5, TinyPlans.Size.Height / 8, TinyPlans.Size.Width / 8 }, concat.shape);
            Assert.True(concat[.., 0, ..2, ..].eq(1).all().item<bool>() && concat[.., 0, 2.., ..].eq(0).all().item<bool>(), "mask channel");
            var grey = image * (1 - mask) + 0.5f * mask;
            Assert.True(concat[.., 1..].eq(EncodeStage.Run(model, grey, 2)).all().item<bool>(), "masked-image latent");
        }
        var plan = TinyPlans.TextToImage(model, steps: 4, seed: 2).WithInit(InitInput.FromImage(image, 1.0).WithMask(new InpaintMask(mask, Blur: 0)));
        using var a = plan.Run();
        using var b = plan.Run();
        using var scope2 = NewDisposeScope();
        Assert.True(TinyPlans.Same(a.Images, b.Images));
        Assert.True(a.Images[.., .., 16.., ..].eq(image[.., .., 16.., ..]).all().item<bool>(), "kept pixels changed");
        // Without a mask the inpainting model is refused before any work.
        Assert.Contains(TinyPlans.TextToImage(model).Problems(), p => p.Contains("inpainting model"));
    }
}
