namespace Pipeline.Adapters;

/// <summary>
/// An adapter with its strengths, as A1111's <c>&lt;lora:name:te:unet&gt;</c> gives them: W += strength · ΔW, with
/// <paramref name="UnetStrength"/> for UNet modules and <paramref name="TextEncoderStrength"/> for both text encoders'.
/// </summary>
public sealed record AdapterUse(Adapter Adapter, double UnetStrength = 1.0, double TextEncoderStrength = 1.0)
{
    /// <summary>The same strength for the UNet and the text encoders.</summary>
    public static AdapterUse Of(Adapter adapter, double strength) => new(adapter, strength, strength);

    /// <summary>The strength that scales modules of <paramref name="component"/>.</summary>
    public double StrengthFor(AdapterComponent component) => component.IsTextEncoder() ? TextEncoderStrength : UnetStrength;

    /// <summary>Throws <see cref="ArgumentException"/> when the adapter is missing or a strength is not finite.</summary>
    public AdapterUse Validate()
    {
        if (Adapter is null) throw new ArgumentException("an AdapterUse needs an adapter");
        if (!double.IsFinite(UnetStrength)) throw new ArgumentException($"adapter '{Adapter.Name}': UNet strength {UnetStrength} is not a finite number");
        if (!double.IsFinite(TextEncoderStrength)) throw new ArgumentException($"adapter '{Adapter.Name}': text encoder strength {TextEncoderStrength} is not a finite number");
        return this;
    }
}
