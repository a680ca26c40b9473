namespace Pipeline.Adapters;

/// <summary>What one tensor of an adapter file is, by its name's suffix.</summary>
public enum KeyRole
{
    /// <summary><c>.alpha</c>: the scale's numerator (scale = alpha / rank).</summary>
    Alpha,
    /// <summary>LoRA / LoCon: <c>.lora_down.weight</c>, <c>.lora.down.weight</c>, <c>.lora_A.weight</c>, …</summary>
    LoraDown,
    /// <summary>LoRA / LoCon: <c>.lora_up.weight</c>, <c>.lora.up.weight</c>, <c>.lora_B.weight</c>, …</summary>
    LoraUp,
    /// <summary>LoCon with Tucker decomposition: <c>.lora_mid.weight</c>.</summary>
    LoraMid,
    HadaW1A, HadaW1B, HadaW2A, HadaW2B, HadaT1, HadaT2,
    LokrW1, LokrW1A, LokrW1B, LokrW2, LokrW2A, LokrW2B, LokrT2,
    /// <summary>LyCORIS full: <c>.diff</c>.</summary>
    Diff,
    /// <summary>LyCORIS full: <c>.diff_b</c> (bias).</summary>
    DiffBias,
    /// <summary>DoRA's magnitude (<c>.dora_scale</c>, PEFT <c>.lora_magnitude_vector</c>): not supported.</summary>
    Dora,
    /// <summary>A recognised tensor of an algorithm this library does not apply (IA3, OFT, GLoRA, norm, …).</summary>
    Unsupported,
}

/// <summary>The families of <see cref="KeyRole"/>s, one per delta formula.</summary>
public enum AdapterFamily { LoRA, LoHa, LoKr, Full }

public static class KeyRoles
{
    /// <summary>The family a factor role belongs to; null for <see cref="KeyRole.Alpha"/>, <see cref="KeyRole.Dora"/> and <see cref="KeyRole.Unsupported"/>.</summary>
    public static AdapterFamily? Family(this KeyRole role) => role switch
    {
        KeyRole.LoraDown or KeyRole.LoraUp or KeyRole.LoraMid => AdapterFamily.LoRA,
        >= KeyRole.HadaW1A and <= KeyRole.HadaT2 => AdapterFamily.LoHa,
        >= KeyRole.LokrW1 and <= KeyRole.LokrT2 => AdapterFamily.LoKr,
        KeyRole.Diff or KeyRole.DiffBias => AdapterFamily.Full,
        _ => null,
    };
}
