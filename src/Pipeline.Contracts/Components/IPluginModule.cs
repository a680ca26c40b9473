namespace Pipeline.Components;

/// <summary>
/// A plugin's single entry point: one public class with a parameterless constructor per plugin assembly.
/// The host calls <see cref="Register"/> once per load; everything it registers appears in the registry with
/// the plugin's name as origin.
/// </summary>
public interface IPluginModule
{
    /// <summary>The plugin's name as users see it (e.g. "Samplers.KDiffusion").</summary>
    string Name { get; }

    /// <summary>Registers the plugin's components; called once per load, on a fresh registrar.</summary>
    void Register(IComponentRegistrar registrar);
}
