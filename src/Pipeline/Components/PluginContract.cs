namespace Pipeline.Components;

/// <summary>
/// The plugin contract's version. A plugin records the version it was built against through its reference to
/// the Pipeline assembly (whose assembly version carries <see cref="Major"/>.<see cref="Minor"/>); the host
/// refuses a plugin built against another major version, naming both.
/// </summary>
public static class PluginContract
{
    public const int Major = 1;
    public const int Minor = 0;

    public static Version Current => new(Major, Minor);
}
