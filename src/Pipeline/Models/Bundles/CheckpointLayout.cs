using Pipeline.Checkpoints;

namespace Pipeline.Models.Bundles;

/// <summary>The key prefixes of sgm's single-file checkpoints and how to tell base from refiner.</summary>
public static class CheckpointLayout
{
    public const string UNetPrefix = "model.";               // the wrapper holds the UNet as diffusion_model
    public const string VaePrefix = "first_stage_model.";
    public const string ConditionerPrefix = "conditioner.";

    /// <summary>The base has CLIP-L (HF layout) at embedder 0; the refiner has OpenCLIP there.</summary>
    public static SdxlModelKind Detect(SafeTensorsFile file)
    {
        bool clipL = file.Entries.Keys.Any(k => k.StartsWith("conditioner.embedders.0.transformer.", StringComparison.Ordinal));
        bool openClip0 = file.Entries.Keys.Any(k => k.StartsWith("conditioner.embedders.0.model.", StringComparison.Ordinal));
        if (clipL) return SdxlModelKind.Base;
        if (openClip0) return SdxlModelKind.Refiner;
        throw new SafeTensorsFormatException(
            $"{file.Path}: not an SDXL single-file checkpoint (no conditioner.embedders.0.transformer.* or conditioner.embedders.0.model.* keys)");
    }

    /// <summary>Input channels of the UNet's first conv (4 for SDXL, 9 for an inpainting model), or null when absent.</summary>
    public static long? UNetInputChannels(SafeTensorsFile file) =>
        file.Entries.TryGetValue(UNetPrefix + "diffusion_model.input_blocks.0.0.weight", out var e) && e.Shape.Length == 4 ? e.Shape[1] : null;

    /// <summary>Keys outside the three known prefixes (a strict load reports them).</summary>
    public static IReadOnlyList<string> ForeignKeys(SafeTensorsFile file) =>
        file.Entries.Keys.Where(k => !k.StartsWith(UNetPrefix + "diffusion_model.", StringComparison.Ordinal)
                                     && !k.StartsWith(VaePrefix, StringComparison.Ordinal)
                                     && !k.StartsWith(ConditionerPrefix, StringComparison.Ordinal))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
}
