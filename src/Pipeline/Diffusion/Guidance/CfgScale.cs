namespace Pipeline.Diffusion.Guidance;

/// <summary>The guider for a classifier-free guidance scale, and the scale of a guider (for image metadata).</summary>
public static class CfgScale
{
    /// <summary>Scale 1 is the conditional prediction alone: <see cref="IdentityGuider"/>, without the unconditional half.</summary>
    public static IGuider Guider(double scale) => scale == 1.0 ? new IdentityGuider() : new VanillaCFG(scale);

    /// <summary>The CFG scale <paramref name="guider"/> applies (any guider with a scale), or null when it has none.</summary>
    public static double? Of(IGuider guider) => guider switch
    {
        VanillaCFG v => v.Scale,
        IdentityGuider => 1.0,
        IScalableGuider s => s.Scale,
        _ => null,
    };
}
