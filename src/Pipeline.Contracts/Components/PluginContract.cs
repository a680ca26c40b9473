namespace Pipeline.Components;

/// <summary>
/// The plugin contract's version. A plugin records the version it was built against through its reference to
/// the <c>Pipeline.Contracts</c> assembly (whose assembly version carries <see cref="Major"/>.<see cref="Minor"/>); the
/// host refuses a plugin built against another major version, naming both.
/// <para>2.0: the contract moved out of the library (<c>Pipeline</c> 1.0) into <c>Pipeline.Contracts</c>;
/// <see cref="Diffusion.Guidance.IGuider.Combine"/> receives the sampler's x as well as σ; <c>ComponentKind.Embedder</c>
/// is gone. Details: plugins/README.md, "What changed for plugin authors".</para>
/// </summary>
public static class PluginContract
{
    /// <summary>Breaking changes (a plugin built against another major version is refused).</summary>
    public const int Major = 2;
    /// <summary>Additions that keep plugins built against an earlier minor version working.</summary>
    public const int Minor = 0;

    /// <summary><see cref="Major"/>.<see cref="Minor"/> as a <see cref="Version"/>.</summary>
    public static Version Current => new(Major, Minor);
}
