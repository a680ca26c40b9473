using System.Diagnostics;
using System.Reflection;
using McMaster.NETCore.Plugins;
using Pipeline.Components;

namespace Pipeline.Plugins.Hosting;

/// <summary>
/// Loads every discovered plugin into its own unloadable context (sharing the contract assembly and
/// TorchSharp with the host) and registers it, all-or-nothing per plugin, on top of the built-ins. A plugin
/// that is refused or fails is reported with its reason and skipped; the others carry on.
/// </summary>
static class PluginLoading
{
    /// <summary>The contract assembly (Pipeline.Contracts, where <see cref="IPluginModule"/> lives) and TorchSharp: one copy,
    /// the host's, so a plugin's components are the host's interface types and its tensors the host's tensors.</summary>
    internal static readonly Type[] SharedTypes = { typeof(IPluginModule), typeof(TorchSharp.torch) };

    public static (ComponentRegistry Registry, IReadOnlyList<PluginLoadResult> Results, IReadOnlyList<PluginLoader> Loaders)
        LoadAll(IEnumerable<string> directories, ComponentRegistry start)
    {
        var registry = start;
        var results = new List<PluginLoadResult>();
        var loaders = new List<PluginLoader>();
        foreach (var (name, path) in PluginDirectories.Discover(directories))
        {
            var clock = Stopwatch.StartNew();
            var refusal = SafeRefusal(name, path);
            if (refusal is not null)
            {
                results.Add(new(name, path, PluginStatus.Refused, refusal, Array.Empty<ComponentRegistration>(), clock.Elapsed));
                continue;
            }
            PluginLoader? loader = null;
            try
            {
                // In memory: the files stay free to be replaced by a rebuild while this version is in use.
                loader = PluginLoader.CreateFromAssemblyFile(path, SharedTypes, c =>
                {
                    c.IsUnloadable = true;
                    c.LoadInMemory = true;
                    c.PreferSharedTypes = true;
                });
                var module = CreateModule(name, loader.LoadDefaultAssembly());
                var builder = new ComponentRegistry.Builder(registry, name);
                module.Register(builder);
                var added = builder.Current.All().Where(r => r.Origin == name).ToList();
                registry = builder.Current;
                loaders.Add(loader);
                results.Add(new(name, path, PluginStatus.Loaded, null, added, clock.Elapsed));
            }
            catch (Exception e)
            {
                loader?.Dispose();
                results.Add(new(name, path, PluginStatus.Failed, Describe(e), Array.Empty<ComponentRegistration>(), clock.Elapsed));
            }
        }
        return (registry, results, loaders);
    }

    static string? SafeRefusal(string name, string path)
    {
        try { return ContractVersionCheck.Refusal(name, path); }
        catch (Exception e) { return $"plugin '{name}' could not be read: {e.Message}"; }
    }

    static IPluginModule CreateModule(string name, Assembly assembly)
    {
        Type[] types;
        try { types = assembly.GetExportedTypes(); }
        catch (ReflectionTypeLoadException e) { throw new PluginEntryPointException($"types could not be loaded: {e.LoaderExceptions.FirstOrDefault()?.Message}"); }
        var candidates = types.Where(t => typeof(IPluginModule).IsAssignableFrom(t) && t is { IsClass: true, IsAbstract: false }).ToList();
        if (candidates.Count == 0)
            throw new PluginEntryPointException($"no entry point: '{name}' has no public class implementing {typeof(IPluginModule).FullName}");
        if (candidates.Count > 1)
            throw new PluginEntryPointException($"ambiguous entry point: {string.Join(", ", candidates.Select(t => t.FullName))} all implement {nameof(IPluginModule)}; a plugin has exactly one");
        var type = candidates[0];
        if (type.GetConstructor(Type.EmptyTypes) is null)
            throw new PluginEntryPointException($"entry point {type.FullName} needs a public parameterless constructor");
        return (IPluginModule)Activator.CreateInstance(type)!;
    }

    static string Describe(Exception e) => e switch
    {
        PluginEntryPointException => e.Message,
        DuplicateComponentException => $"registers a duplicate name: {e.Message}",
        TargetInvocationException { InnerException: { } inner } => $"threw while loading: {inner.GetType().Name}: {inner.Message}",
        _ => $"threw while loading: {e.GetType().Name}: {e.Message}",
    };
}

sealed class PluginEntryPointException(string message) : Exception(message);
