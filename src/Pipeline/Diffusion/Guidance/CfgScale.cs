namespace Pipeline.Diffusion.Guidance;

/// <summary>The guider for a classifier-free guidance scale, and the scale of a guider (for image metadata).</summary>
public static class CfgScale
{
    /// <summary>
    /// A scale ≤ 1 means no guidance, as diffusers reads it (SDXL-Turbo's 0, few-step LoRAs' 1): the conditional
    /// prediction alone, <see cref="IdentityGuider"/>, without the unconditional half of the UNet work. Above 1: CFG.
    /// </summary>
    public static IGuider Guider(double scale) => scale <= 1.0 ? new IdentityGuider(scale) : new VanillaCFG(scale);

    /// <summary>The CFG scale <paramref name="guider"/> applies (any guider with a scale), or null when it has none.</summary>
    public static double? Of(IGuider guider) => guider switch
    {
        VanillaCFG v => v.Scale,
        IdentityGuider i => i.Scale,
        IScalableGuider s => s.Scale,
        _ => null,
    };
}
