namespace Pipeline.Plugins.Hosting;

/// <summary>A loaded plugin's name and the assembly it was loaded from.</summary>
public sealed record PluginOrigin(string Name, string AssemblyPath);
