using McMaster.NETCore.Plugins;
using Pipeline.Components;

namespace Pipeline.Plugins.Hosting;

/// <summary>
/// Owns the current <see cref="PluginSnapshot"/>. With hot reload, a change in any plugin directory (after a
/// quiet period) loads every plugin afresh into new contexts and swaps the snapshot atomically; runs that
/// captured the previous snapshot keep its components (the old contexts unload once nothing uses them).
/// </summary>
public sealed class PluginHost : IDisposable
{
    readonly PluginHostOptions _options;
    readonly ComponentRegistry _start;
    readonly object _gate = new();
    readonly List<FileSystemWatcher> _watchers = new();
    IReadOnlyList<PluginLoader> _loaders = Array.Empty<PluginLoader>();
    PluginSnapshot _current;
    Timer? _debounce;
    bool _disposed;

    public PluginHost(PluginHostOptions options, ComponentRegistry? start = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        _start = start ?? ComponentRegistry.BuiltIns;
        _current = Load(generation: 1);
        if (options.HotReload) Watch();
    }

    /// <summary>Loads once, without watching (what one CLI invocation needs).</summary>
    public static PluginSnapshot LoadOnce(PluginHostOptions? options = null)
    {
        using var host = new PluginHost(options ?? PluginHostOptions.Default);
        return host.Current;
    }

    /// <summary>The latest snapshot. Capture it once per run.</summary>
    public PluginSnapshot Current => Volatile.Read(ref _current);

    /// <summary>Raised after a reload with the new snapshot.</summary>
    public event Action<PluginSnapshot>? Reloaded;

    /// <summary>Reloads now (also what the watcher does after a change).</summary>
    public PluginSnapshot Reload()
    {
        lock (_gate)
        {
            if (_disposed) throw new ObjectDisposedException(nameof(PluginHost));
            var next = Load(_current.Generation + 1);
            Volatile.Write(ref _current, next);
            Reloaded?.Invoke(next);
            return next;
        }
    }

    PluginSnapshot Load(int generation)
    {
        var (registry, results, loaders) = PluginLoading.LoadAll(_options.Directories, _start, _options.EffectiveRegisterTimeout);
        var old = _loaders;
        _loaders = loaders;
        // Unloading is cooperative: objects a running job still holds stay valid until released.
        foreach (var loader in old) loader.Dispose();
        return new PluginSnapshot(registry, results, generation);
    }

    void Watch()
    {
        foreach (var dir in _options.Directories.Where(Directory.Exists))
        {
            var watcher = new FileSystemWatcher(dir) { IncludeSubdirectories = true, NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.DirectoryName | NotifyFilters.Size };
            watcher.Changed += OnChange;
            watcher.Created += OnChange;
            watcher.Deleted += OnChange;
            watcher.Renamed += OnChange;
            watcher.EnableRaisingEvents = true;
            _watchers.Add(watcher);
        }
        _debounce = new Timer(_ => SafeReload(), null, Timeout.Infinite, Timeout.Infinite);
    }

    void OnChange(object sender, FileSystemEventArgs e) =>
        _debounce?.Change(_options.EffectiveReloadDelay, Timeout.InfiniteTimeSpan);

    void SafeReload()
    {
        try { Reload(); }
        catch (ObjectDisposedException) { }
        catch (IOException)
        {
            // A file was still being written: try again after another quiet period.
            _debounce?.Change(_options.EffectiveReloadDelay, Timeout.InfiniteTimeSpan);
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var w in _watchers) w.Dispose();
            _debounce?.Dispose();
            foreach (var loader in _loaders) loader.Dispose();
        }
    }
}
