namespace Pipeline.Adapters;

/// <summary>
/// The part of an SDXL model an adapter module changes, in kohya's terms: the UNet (<c>lora_unet_</c>, diffusers
/// <c>unet.</c>), text encoder 1 = CLIP-L (<c>lora_te1_</c>, <c>text_encoder.</c>) and text encoder 2 = OpenCLIP bigG
/// (<c>lora_te2_</c>, <c>text_encoder_2.</c>).
/// </summary>
public enum AdapterComponent { Unet, TextEncoder1, TextEncoder2 }

public static class AdapterComponents
{
    /// <summary>Whether <see cref="AdapterUse.TextEncoderStrength"/> (rather than the UNet strength) scales this component.</summary>
    public static bool IsTextEncoder(this AdapterComponent component) => component != AdapterComponent.Unet;

    /// <summary>kohya's short name: <c>unet</c>, <c>te1</c>, <c>te2</c>.</summary>
    public static string ShortName(this AdapterComponent component) => component switch
    {
        AdapterComponent.Unet => "unet",
        AdapterComponent.TextEncoder1 => "te1",
        _ => "te2",
    };
}
