using Pipeline.Conditioning;
using Pipeline.Models.Bundles;

namespace Pipeline.Generation;

/// <summary>
/// What a model is meant to be run with when the user does not say: image size, steps, CFG scale, sampler and schedule
/// (registry names, resolved by the caller at its edge). The embedded tiny model is trained at 64×64; a full-size
/// SDXL checkpoint at 1024×1024.
/// </summary>
public sealed record GenerationDefaults(ImageSize Size, int Steps, double CfgScale, string Sampler, string Schedule)
{
    public static GenerationDefaults FullSize { get; } = new(new ImageSize(1024, 1024), 30, 5.0, "euler", "legacy_ddpm");
    public static GenerationDefaults Tiny { get; } = new(new ImageSize(64, 64), 25, 2.0, "euler_ancestral", "legacy_ddpm");

    /// <summary>Full-size defaults for SDXL-sized UNets (320 base channels or more), the tiny ones otherwise.</summary>
    public static GenerationDefaults For(SdxlModel model) => For(model.Config);

    public static GenerationDefaults For(SdxlModelConfig config) => config.UNet.ModelChannels >= 320 ? FullSize : Tiny;
}
