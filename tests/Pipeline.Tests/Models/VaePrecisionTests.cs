using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Generation;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>The VAE in bf16 (<c>--vae-dtype</c>): close to the float32 decode on the trained embedded VAE, and every
/// path that encodes or decodes keeps float32 outside it.</summary>
public sealed class VaePrecisionTests(ITestOutputHelper output)
{
    [Fact]
    public void A_bf16_vae_decodes_the_embedded_default_within_40_dB_of_float32_and_plans_run_with_it()
    {
        using var fp32 = SdxlModel.Load(EmbeddedModels.Base!);
        using var bf16 = SdxlModel.Load(EmbeddedModels.Base!, vaeDType: ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, bf16.FirstStage.ComputeDType);
        var data = new Pipeline.Training.World.ShapeWorldData(Pipeline.Training.World.ShapeWorldSettings.Base(779, 16)
            with { Buckets = Pipeline.Training.World.WorldBuckets.Single(64, 64) });
        using (var scope = NewDisposeScope())
        using (no_grad())
        {
            using var batch = data.Batch(0);
            var images01 = ((batch.Images + 1) / 2).clamp(0, 1);
            var z = EncodeStage.Run(fp32, images01, (int)images01.shape[0]);
            Assert.Equal(ScalarType.Float32, EncodeStage.Run(bf16, images01, (int)images01.shape[0]).dtype);
            var a = DecodeStage.Run(fp32.FirstStage, z);
            var b = DecodeStage.Run(bf16.FirstStage, z);
            Assert.Equal(ScalarType.Float32, b.dtype);
            double psnr = 10 * Math.Log10(1 / (a - b).square().mean().item<float>());
            output.WriteLine($"bf16 VAE decode vs float32: {psnr:F1} dB (measured 51.8 on 32 images when the option was added)");
            Assert.True(psnr >= 40, $"{psnr:F1} dB");
        }
        using var result = TinyPlans.TextToImage(bf16, steps: 3).Run();
        Assert.Equal("bf16", result.Parameters[0].Extra!["VAE dtype"]);
        Assert.Equal(ScalarType.Float32, result.Images.dtype);
        using var image = result.Images[..1];
        using var edited = TinyPlans.TextToImage(bf16, steps: 3).WithInit(InitInput.FromImage(image, 0.5)).Run();
        Assert.False(TinyPlans.Same(result.Images, edited.Images));
    }
}
