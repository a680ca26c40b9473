using Pipeline.Conditioning;
using Pipeline.Diagnostics;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Models.Vae;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>The estimate's shape: what grows it, what lowers it, and what the refusal suggests.</summary>
public sealed class MemoryEstimateTests
{
    static MemoryEstimate Sdxl(int side, int batch = 1, ScalarType dtype = ScalarType.BFloat16, DecodeOptions? decode = null, bool guided = true) =>
        MemoryEstimate.For(SdxlModelConfig.SdxlBase, new ImageSize(side, side), batch, dtype, guided, decode);

    [Fact]
    public void Half_precision_halves_the_unet_and_text_weights_but_not_the_vae()
    {
        long fp32 = MemoryEstimate.WeightBytes(SdxlModelConfig.SdxlBase, ScalarType.Float32);
        long bf16 = MemoryEstimate.WeightBytes(SdxlModelConfig.SdxlBase, ScalarType.BFloat16);
        Assert.InRange(fp32 / (double)(1L << 30), 12.5, 13.5);   // 3.47 B parameters
        Assert.InRange(bf16 / (double)fp32, 0.5, 0.53);          // the 84 M VAE stays float32
    }

    [Fact]
    public void Size_batch_and_guidance_grow_it_and_tiling_bounds_the_decoder()
    {
        Assert.True(Sdxl(1024).Peak > Sdxl(512).Peak);
        Assert.True(Sdxl(512, batch: 4, decode: new DecodeOptions(SamplesAtATime: null)).Peak > Sdxl(512).Peak);
        Assert.True(Sdxl(1024, guided: true).UNetActivations > Sdxl(1024, guided: false).UNetActivations);
        var tiled = Sdxl(2048, decode: new DecodeOptions(new TiledDecodeSettings()));
        Assert.True(tiled.DecodeActivations < Sdxl(2048).DecodeActivations / 4);
    }

    [Fact]
    public void A_refusal_names_the_estimate_the_budget_and_the_ways_to_lower_it()
    {
        var estimate = Sdxl(1024, batch: 2, dtype: ScalarType.Float32);
        var problem = estimate.Problem(8L << 30, new ImageSize(1024, 1024), 2, ScalarType.Float32, canTile: true);
        Assert.NotNull(problem);
        Assert.Contains("1024x1024 × 2 needs about", problem);
        Assert.Contains("but 8192 MiB is available", problem);
        Assert.Contains("a smaller --batch", problem);
        Assert.Contains("--dtype bf16", problem);
        Assert.Contains("tiled VAE decoding", problem);
        Assert.Contains("try a smaller --width/--height, a smaller --batch, --dtype bf16 (halves the weights and the UNet's activations), --vae-tile 64",
            estimate.Problem(8L << 30, new ImageSize(1024, 1024), 2, ScalarType.Float32, canTile: true, tilingHint: "--vae-tile 64"));
        Assert.DoesNotContain("tile", estimate.Problem(8L << 30, new ImageSize(1024, 1024), 2, ScalarType.Float32, canTile: false));
        Assert.Null(estimate.Problem(estimate.Peak, new ImageSize(1024, 1024), 2, ScalarType.Float32, canTile: true));
    }

    [Theory]
    [InlineData("1048576", 1L << 20)]
    [InlineData("512M", 512L << 20)]
    [InlineData("1.5G", 3L << 29)]
    [InlineData("14g", 14L << 30)]
    [InlineData("x", null)]
    [InlineData("-1G", null)]
    [InlineData("", null)]
    public void Available_memory_overrides_parse_binary_units(string text, long? expected) =>
        Assert.Equal(expected, AvailableMemory.Parse(text));
}
