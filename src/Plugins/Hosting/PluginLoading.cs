using System.Diagnostics;
using System.Reflection;
using System.Runtime.ExceptionServices;
using System.Runtime.Loader;
using McMaster.NETCore.Plugins;
using Pipeline.Components;

namespace Pipeline.Plugins.Hosting;

/// <summary>
/// Loads every discovered plugin into its own unloadable context (sharing the contract assembly and
/// TorchSharp with the host) and registers it, all-or-nothing per plugin, on top of the built-ins. A plugin
/// that is refused or fails is reported with its reason and skipped; the others carry on. A plugin whose loading
/// does not finish within the timeout is reported as hung and skipped (its thread cannot be stopped, so it is left
/// to run in the background and the process does not wait for it). A folder whose name an earlier folder (a
/// first-party plugin, or an earlier directory) already took is refused, naming both paths.
/// </summary>
static class PluginLoading
{
    /// <summary>The contract assembly (Pipeline.Contracts, where <see cref="IPluginModule"/> lives) and TorchSharp: one copy,
    /// the host's, so a plugin's components are the host's interface types and its tensors the host's tensors.</summary>
    internal static readonly Type[] SharedTypes = { typeof(IPluginModule), typeof(TorchSharp.torch) };

    public static (ComponentRegistry Registry, IReadOnlyList<PluginLoadResult> Results, IReadOnlyList<PluginLoader> Loaders)
        LoadAll(IEnumerable<string> directories, ComponentRegistry start, TimeSpan registerTimeout)
    {
        var registry = start;
        var results = new List<PluginLoadResult>();
        var loaders = new List<PluginLoader>();
        var taken = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, path) in PluginDirectories.Discover(directories))
        {
            var clock = Stopwatch.StartNew();
            var refusal = taken.TryGetValue(name, out var first)
                ? $"plugin '{name}' at {path} is refused: the name is already taken by {first}, which was found first (rename the folder to load both)"
                : SafeRefusal(name, path);
            taken.TryAdd(name, path);
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
                var before = registry;
                var current = WithTimeout(name, registerTimeout, () =>
                {
                    var assembly = loader.LoadDefaultAssembly();
                    if (AssemblyLoadContext.GetLoadContext(assembly) is { } context) PluginOrigins.Remember(context, name, path);
                    var module = CreateModule(name, assembly);
                    var builder = new ComponentRegistry.Builder(before, name);
                    module.Register(builder);
                    return builder.Current;
                });
                var added = current.All().Where(r => r.Origin == name).ToList();
                registry = current;
                loaders.Add(loader);
                results.Add(new(name, path, PluginStatus.Loaded, null, added, clock.Elapsed));
            }
            catch (PluginHungException e)
            {
                loader?.Dispose();
                results.Add(new(name, path, PluginStatus.Hung, e.Message, Array.Empty<ComponentRegistration>(), clock.Elapsed));
            }
            catch (Exception e)
            {
                loader?.Dispose();
                results.Add(new(name, path, PluginStatus.Failed, Describe(e), Array.Empty<ComponentRegistration>(), clock.Elapsed));
            }
        }
        return (registry, results, loaders);
    }

    /// <summary>Runs <paramref name="load"/> on its own thread and waits at most <paramref name="timeout"/> for it.</summary>
    static T WithTimeout<T>(string name, TimeSpan timeout, Func<T> load)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try { result = load(); }
            catch (Exception e) { failure = ExceptionDispatchInfo.Capture(e); }
        }) { IsBackground = true, Name = $"plugin {name}" };
        thread.Start();
        if (!thread.Join(timeout))
            throw new PluginHungException($"plugin '{name}' hung: loading and Register did not return within {timeout.TotalSeconds:0.###} s; skipped");
        failure?.Throw();
        return result;
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

sealed class PluginHungException(string message) : Exception(message);
