using Pipeline.Models.Vae;

namespace Pipeline.Generation;

/// <summary>How latents are decoded: sub-batch size of the VAE decoder and optional tiling (for large images).</summary>
public sealed record DecodeOptions(TiledDecodeSettings? Tiling = null, int? SamplesAtATime = 1)
{
    public static DecodeOptions Default { get; } = new();
}
