namespace Pipeline.Plugins.Hosting;

/// <summary>
/// Where to look, whether to watch for changes, and how long a plugin's <c>Register</c> may take before the
/// plugin is reported as hung and skipped.
/// </summary>
public sealed record PluginHostOptions(IReadOnlyList<string> Directories, bool HotReload = false, TimeSpan? ReloadDelay = null,
    TimeSpan? RegisterTimeout = null)
{
    public static PluginHostOptions Default => new(PluginDirectories.Default());

    /// <summary>Quiet period after the last file change before a reload (files of a rebuild arrive in bursts).</summary>
    public TimeSpan EffectiveReloadDelay => ReloadDelay ?? TimeSpan.FromMilliseconds(300);

    /// <summary>
    /// How long loading one plugin (its assembly, its entry point's constructor and <c>Register</c>) may take:
    /// 10 s unless set. Registering is meant to be instant; this only catches a plugin that never returns.
    /// </summary>
    public TimeSpan EffectiveRegisterTimeout => RegisterTimeout ?? TimeSpan.FromSeconds(10);
}
