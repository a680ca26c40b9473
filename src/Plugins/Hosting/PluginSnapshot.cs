using Pipeline.Components;

namespace Pipeline.Plugins.Hosting;

/// <summary>
/// An immutable view of the components available at one moment: built-ins plus every plugin that loaded.
/// A run captures a snapshot at its start and keeps using it while newer snapshots replace it.
/// </summary>
public sealed record PluginSnapshot(ComponentRegistry Registry, IReadOnlyList<PluginLoadResult> Plugins, int Generation);
