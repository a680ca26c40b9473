using Pipeline.Models.Vae;

namespace Pipeline.Generation;

/// <summary>How latents are decoded: sub-batch size of the VAE decoder and optional tiling (for large images), or —
/// with <see cref="Taesd"/> — a TAESD-layout tiny decoder instead of the VAE's (fast, approximate; the PNG records it).</summary>
public sealed record DecodeOptions(TiledDecodeSettings? Tiling = null, int? SamplesAtATime = 1)
{
    public static DecodeOptions Default { get; } = new();

    /// <summary>Decode with this tiny decoder instead of the VAE (null: the VAE). The plan does not own it.</summary>
    public TaesdDecoder? Taesd { get; init; }
}
