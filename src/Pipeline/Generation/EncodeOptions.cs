using Pipeline.Models.Vae;

namespace Pipeline.Generation;

/// <summary>How images are encoded to latents (img2img's init image, an inpainting model's masked image): by the VAE's
/// encoder, or — with <see cref="Taesd"/> — a TAESD-layout tiny encoder (fast, approximate; the PNG records it).</summary>
public sealed record EncodeOptions
{
    public static EncodeOptions Default { get; } = new();

    /// <summary>Encode with this tiny encoder instead of the VAE (null: the VAE). The plan does not own it.</summary>
    public TaesdEncoder? Taesd { get; init; }
}
