using Pipeline.Components;

namespace Pipeline.Plugins.Hosting;

public enum PluginStatus
{
    /// <summary>Loaded and registered its components.</summary>
    Loaded,
    /// <summary>Not loaded: built against another major contract version, or its name is taken by an earlier plugin folder.</summary>
    Refused,
    /// <summary>Loaded but skipped: no/ambiguous entry point, it threw, or it registered a duplicate name.</summary>
    Failed,
    /// <summary>Skipped: loading or <c>Register</c> did not return within <see cref="PluginHostOptions.EffectiveRegisterTimeout"/>.</summary>
    Hung,
}

/// <summary>What happened to one plugin folder, with the reason when it was not loaded.</summary>
public sealed record PluginLoadResult(
    string Name, string AssemblyPath, PluginStatus Status, string? Reason,
    IReadOnlyList<ComponentRegistration> Registered, TimeSpan LoadTime);
