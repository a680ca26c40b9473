namespace Pipeline.Plugins.Hosting;

/// <summary>Where to look and whether to watch for changes.</summary>
public sealed record PluginHostOptions(IReadOnlyList<string> Directories, bool HotReload = false, TimeSpan? ReloadDelay = null)
{
    public static PluginHostOptions Default => new(PluginDirectories.Default());

    /// <summary>Quiet period after the last file change before a reload (files of a rebuild arrive in bursts).</summary>
    public TimeSpan EffectiveReloadDelay => ReloadDelay ?? TimeSpan.FromMilliseconds(300);
}
