using Pipeline.Components;
using Pipeline.Plugins.Hosting;
using Pipeline.Server.A1111;
using Pipeline.Server.Queue;

namespace Pipeline.Server.Hosting;

/// <summary>What every route shares: settings, plugins, models, the queue, progress and events.</summary>
internal sealed class ServerContext(ServerSettings settings, PluginHost plugins, ModelHost models, GenerationQueue queue, ProgressBoard board,
    EventHub events, Action<string> log)
{
    public ServerSettings Settings { get; } = settings;
    public PluginHost Plugins { get; } = plugins;
    public ModelHost Models { get; } = models;
    public GenerationQueue Queue { get; } = queue;
    public ProgressBoard Board { get; } = board;
    public EventHub Events { get; } = events;
    public Action<string> Log { get; } = log;

    PluginSnapshot? _last;

    /// <summary>The registry snapshot a request arriving now runs on.</summary>
    public PluginSnapshotView Snapshot()
    {
        var s = Plugins.Current;
        return new PluginSnapshotView(s.Registry, s.Generation);
    }

    /// <summary>Logs a reload with what it added and removed, and tells event subscribers.</summary>
    public void OnReloaded(PluginSnapshot next)
    {
        var before = (_last ?? next).Registry.All().Select(r => $"{r.Kind}:{r.Name}").ToHashSet();
        var after = next.Registry.All().Select(r => $"{r.Kind}:{r.Name}").ToHashSet();
        var added = after.Except(before).Select(n => "+" + n.Split(':')[1]);
        var removed = before.Except(after).Select(n => "-" + n.Split(':')[1]);
        var changes = string.Join(", ", added.Concat(removed));
        _last = next;
        Log($"plugins reloaded: generation {next.Generation}{(changes.Length > 0 ? ", " + changes : "")}");
        Events.Publish(new ServerEvent("plugins", System.Text.Json.JsonSerializer.Serialize(new { generation = next.Generation, changes })));
    }

    public void Remember(PluginSnapshot first) => _last = first;
}
