using Pipeline.Models.Unet;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Models;

public class UNetFlopsTests(ITestOutputHelper output)
{
    /// <summary>Two levels, attention at the second, every channel count different enough to catch mix-ups.</summary>
    static readonly UNetConfig Tiny = new(
        InChannels: 4, OutChannels: 4, ModelChannels: 32, ChannelMult: [1, 2], NumResBlocks: [1, 1],
        AttentionResolutions: [2], TransformerDepth: [1, 1], ContextDim: [16], NumHeadChannels: 32,
        UseLinearInTransformer: true, AdmInChannels: 8);

    [Fact]
    public void Tiny_config_matches_a_hand_count()
    {
        // Input 4x6 (24 pixels), level 1 at 2x3 (6 pixels); batch 1; 3 context tokens; time embedding 128.
        static long Conv3(long pixels, long cin, long cout) => 2 * pixels * cin * cout * 9;
        static long Conv1(long pixels, long cin, long cout) => 2 * pixels * cin * cout;
        static long Dense(long rows, long fin, long fout) => 2 * rows * fin * fout;

        long conv =
            Conv3(24, 4, 32)                                                        // input_blocks.0 stem
            + 2 * Conv3(24, 32, 32)                                                 // input_blocks.1 ResBlock 32→32
            + Conv3(6, 32, 32)                                                      // input_blocks.2 Downsample
            + Conv3(6, 32, 64) + Conv3(6, 64, 64) + Conv1(6, 32, 64)                // input_blocks.3 ResBlock 32→64
            + 2 * 2 * Conv3(6, 64, 64)                                              // middle ResBlocks
            + Conv3(6, 128, 64) + Conv3(6, 64, 64) + Conv1(6, 128, 64)              // output_blocks.0 ResBlock 64+64→64
            + Conv3(6, 96, 64) + Conv3(6, 64, 64) + Conv1(6, 96, 64)                // output_blocks.1 ResBlock 64+32→64
            + Conv3(24, 64, 64)                                                     // output_blocks.1 Upsample to 4x6
            + Conv3(24, 96, 32) + Conv3(24, 32, 32) + Conv1(24, 96, 32)             // output_blocks.2 ResBlock 64+32→32
            + Conv3(24, 64, 32) + Conv3(24, 32, 32) + Conv1(24, 64, 32)             // output_blocks.3 ResBlock 32+32→32
            + Conv3(24, 32, 4);                                                     // out
        long transformerLinear =
            Dense(6, 64, 64) * 2                                                    // proj_in, proj_out
            + Dense(6, 64, 64) * 4                                                  // attn1 q k v out
            + Dense(6, 64, 64) * 2 + Dense(3, 16, 64) * 2                           // attn2 q out; k v from the context
            + Dense(6, 64, 512) + Dense(6, 256, 64);                                // GEGLU, ff out
        long linear =
            Dense(1, 32, 128) + Dense(1, 128, 128)                                  // time_embed
            + Dense(1, 8, 128) + Dense(1, 128, 128)                                 // label_emb
            + Dense(1, 128, 32 + 64 + 64 + 64 + 64 + 64 + 32 + 32)                  // emb_layers of the 8 ResBlocks
            + 4 * transformerLinear;                                                // input_blocks.3, middle, output_blocks.0/.1
        long attention = 4 * (2 * Dense(6, 6, 64) + 2 * Dense(6, 3, 64));

        var counted = UNetFlops.Count(Tiny, batch: 1, height: 4, width: 6, contextLength: 3);
        Assert.Equal(conv, counted.Convolution);
        Assert.Equal(linear, counted.Linear);
        Assert.Equal(attention, counted.Attention);

        var twice = UNetFlops.Count(Tiny, batch: 2, height: 4, width: 6, contextLength: 3);
        Assert.Equal(2 * counted.Total, twice.Total);
    }

    [Fact]
    public void Sdxl_base_at_64x64_batch_2_is_about_3_1_teraflop()
    {
        // sgm on PyTorch: 43 s per eval at ~73 GFLOP/s (issue 4) ⇒ ~3.1 TFLOP per eval.
        var flops = UNetFlops.Count(UNetConfig.SdxlBase, batch: 2, height: 64, width: 64, contextLength: 77);
        output.WriteLine($"SDXL base 64x64 batch 2: conv {flops.Convolution / 1e9:F0}, linear {flops.Linear / 1e9:F0}, attention {flops.Attention / 1e9:F0}, total {flops.Total / 1e9:F0} GFLOP");
        Assert.InRange(flops.Total / 1e12, 2.8, 3.4);
        var refiner = UNetFlops.Count(UNetConfig.SdxlRefiner, batch: 2, height: 64, width: 64, contextLength: 77);
        output.WriteLine($"SDXL refiner 64x64 batch 2: total {refiner.Total / 1e9:F0} GFLOP");
    }

    [Fact]
    public void Bad_sizes_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => UNetFlops.Count(Tiny, 0, 4, 4, 3));
        Assert.Throws<ArgumentException>(() => UNetFlops.Count(Tiny, 1, 4, 4, 0));
    }
}
