using FsCheck;
using FsCheck.Fluent;
using Pipeline.Conditioning;
using Pipeline.Models.Bundles;
using Pipeline.Models.Unet;
using Pipeline.Models.Vae;
using Pipeline.Tests.Stages;

namespace Pipeline.Tests.Generation;

/// <summary>A generation request against a memory budget: a random tiny model, size, batch, CFG and available bytes.</summary>
sealed record MemoryCase(SdxlModelConfig Config, ImageSize Size, int Batch, double Cfg, long Available)
{
    public override string ToString() =>
        $"{Size.Width}x{Size.Height} × {Batch}, cfg {Cfg}, available {Available >> 20} MiB, UNet {Config.UNet.ModelChannels} ch " +
        $"[{string.Join(",", Config.UNet.ChannelMult)}] blocks [{string.Join(",", Config.UNet.NumResBlocks)}] depth [{string.Join(",", Config.UNet.TransformerDepth)}], " +
        $"VAE {Config.Vae.Ch} ch [{string.Join(",", Config.Vae.ChMult)}]";
}

/// <summary>
/// Tiny model configs (the tests' conditioner, varied UNet and VAE widths and depths), sizes up to 128 px, batches up
/// to 3, and an available memory around the estimates (200–400 MiB), so both refusals and runs come up.
/// </summary>
static class MemoryCases
{
    static Gen<UNetConfig> UNets =>
        from channels in Gen.Elements(32, 64)
        from levels in Gen.Choose(2, 3)
        from mult in Gen.ArrayOf(Gen.Elements(1, 2), levels)
        from blocks in Gen.ArrayOf(Gen.Choose(1, 2), levels)
        from deep in Gen.Choose(0, 1)
        select TinyModels.Base.UNet with
        {
            ModelChannels = channels, ChannelMult = mult.Select((m, i) => i == 0 ? 1 : m).ToArray(), NumResBlocks = blocks,
            AttentionResolutions = [2], TransformerDepth = Enumerable.Range(0, levels).Select(i => i == 0 ? 0 : deep).ToArray(),
        };

    static Gen<AutoencoderKLConfig> Vaes =>
        from ch in Gen.Elements(32, 64)
        from wider in Gen.Elements(1, 2)
        select TinyModels.Base.Vae with { Ch = ch, ChMult = [1, wider, wider, wider] };

    public static Arbitrary<MemoryCase> Cases =>
        (from unet in UNets
         from vae in Vaes
         from w in Gen.Choose(1, 8)
         from h in Gen.Choose(1, 8)
         from batch in Gen.Choose(1, 3)
         from cfg in Gen.Elements(1.0, 3.0)
         from available in Gen.Choose(200, 400)
         select new MemoryCase(TinyModels.Base with { UNet = unet, Vae = vae }, new ImageSize(16 * h, 16 * w), batch, cfg, (long)available << 20))
        .ToArbitrary();
}
