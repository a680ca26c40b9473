using Guiders.Rescale;
using Pipeline.Components;
using Samplers.KDiffusion;
using Schedules.ComfyUI;
using Template.Sampler;

namespace Pipeline.Tests.Plugins;

/// <summary>
/// The registry the host would build from the first-party plugins: the built-ins plus every module's
/// registrations (origin = the module's name), built through <see cref="ComponentRegistry.Builder"/> directly.
/// </summary>
static class PluginRegistry
{
    public static IReadOnlyList<IPluginModule> Modules { get; } = new IPluginModule[] { new KDiffusionSamplers(), new ComfyUISchedules(), new TemplatePlugin(), new RescaleGuiders() };

    public static ComponentRegistry Snapshot { get; } = With(ComponentRegistry.BuiltIns, Modules);

    public static ComponentRegistry With(ComponentRegistry start, IEnumerable<IPluginModule> modules)
    {
        var current = start;
        foreach (var module in modules)
        {
            var builder = new ComponentRegistry.Builder(current, module.Name);
            module.Register(builder);
            current = builder.Current;
        }
        return current;
    }
}
