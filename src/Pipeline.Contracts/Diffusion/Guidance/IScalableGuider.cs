namespace Pipeline.Diffusion.Guidance;

/// <summary>
/// A guider whose strength is a classifier-free guidance scale, so the edges (<c>--cfg</c>, a recipe's scale) can set
/// it on any registered guider by name (the registry's <c>Guider(name, scale)</c>).
/// </summary>
public interface IScalableGuider : IGuider
{
    /// <summary>The CFG scale w in x̂ = x̂_u + w·(x̂_c − x̂_u); 1 is the conditional prediction alone.</summary>
    double Scale { get; }

    /// <summary>The same guider (all other knobs kept) at <paramref name="scale"/>.</summary>
    IScalableGuider WithScale(double scale);
}
