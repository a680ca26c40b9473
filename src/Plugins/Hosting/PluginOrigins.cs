using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Loader;

namespace Pipeline.Plugins.Hosting;

/// <summary>
/// Which plugin an exception came from. Every plugin lives in its own load context, so the innermost stack frame
/// whose code belongs to a plugin's context names the plugin, wherever the exception surfaces (a sampler step deep
/// in the executor, a recipe that called into a plugin). Contexts are remembered weakly: an unloaded plugin is
/// forgotten with its context.
/// </summary>
public static class PluginOrigins
{
    static readonly ConditionalWeakTable<AssemblyLoadContext, PluginOrigin> Contexts = new();

    internal static void Remember(AssemblyLoadContext context, string name, string assemblyPath) =>
        Contexts.AddOrUpdate(context, new PluginOrigin(name, assemblyPath));

    /// <summary>The plugin whose code is innermost on <paramref name="error"/>'s stack (or an inner exception's), or null.</summary>
    public static PluginOrigin? Of(Exception error)
    {
        for (var e = error; e is not null; e = e.InnerException)
            foreach (var frame in new StackTrace(e, fNeedFileInfo: false).GetFrames())
                if (frame.GetMethod()?.Module.Assembly is { } assembly
                    && AssemblyLoadContext.GetLoadContext(assembly) is { } context
                    && Contexts.TryGetValue(context, out var origin))
                    return origin;
        return null;
    }

    /// <summary><paramref name="message"/> prefixed with the plugin it came from, when it came from one.</summary>
    public static string Describe(Exception error, string message) =>
        Of(error) is { } origin ? $"plugin '{origin.Name}' ({origin.AssemblyPath}): {message}" : message;
}
