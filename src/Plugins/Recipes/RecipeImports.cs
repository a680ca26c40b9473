using System.Reflection;
using Pipeline.Components;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// What every recipe can name without <c>using</c> or <c>#r</c>: a fixed list of namespaces and static imports, and
/// the assemblies the host provides (Pipeline.Contracts, Pipeline, Pipeline.Training, Pipeline.Plugins, TorchSharp and
/// what their public types need).
/// Part of the recipe cache key: changing anything here recompiles every recipe.
/// </summary>
public static class RecipeImports
{
    /// <summary>Imported namespaces.</summary>
    public static IReadOnlyList<string> Namespaces { get; } =
    [
        "System",
        "System.Collections.Generic",
        "System.Collections.Immutable",
        "System.Globalization",
        "System.IO",
        "System.Linq",
        "System.Threading",
        "System.Threading.Tasks",
        "Pipeline.Components",
        "Pipeline.Diffusion",
        "Pipeline.Diffusion.Denoising",
        "Pipeline.Diffusion.Discretization",
        "Pipeline.Diffusion.Guidance",
        "Pipeline.Diffusion.Sampling",
        "Pipeline.Diffusion.Scaling",
        "Pipeline.Conditioning",
        "Pipeline.Imaging",
        "Pipeline.Generation",
        "Pipeline.Models.Bundles",
        "Pipeline.Stages",
        "Pipeline.Tokenize.Prompts",
        "Pipeline.Tokenize.Embeddings",
        "Pipeline.Adapters",
        "Pipeline.Training",
        "Pipeline.Training.Evaluation",
        "Pipeline.Training.Lora",
        "Pipeline.Training.TinyDefault",
        "Pipeline.Training.World",
        "Pipeline.Plugins.Recipes",
        "TorchSharp",
    ];

    /// <summary>Types whose static members are imported (<c>using static</c>): <c>tensor(...)</c>, <c>zeros(...)</c>, <c>no_grad()</c>.</summary>
    public static IReadOnlyList<string> StaticTypes { get; } = ["TorchSharp.torch"];

    /// <summary>Namespaces then static types, as handed to the compiler.</summary>
    public static IReadOnlyList<string> All { get; } = [.. Namespaces, .. StaticTypes];

    /// <summary>The host assemblies recipes compile against.</summary>
    public static IReadOnlyList<Assembly> HostAssemblies { get; } =
    [
        typeof(IPluginModule).Assembly,
        typeof(ComponentRegistry).Assembly,
        typeof(Pipeline.Training.TinyDefault.TinyTraining).Assembly,
        typeof(RecipeGlobals).Assembly,
        typeof(TorchSharp.torch).Assembly,
    ];

    /// <summary>
    /// The host assemblies, the framework assemblies a script needs, and every assembly the contracts, Pipeline,
    /// Pipeline.Training and TorchSharp reference directly (so public signatures that mention them compile), each once, by file.
    /// </summary>
    public static IReadOnlyList<Assembly> References { get; } = ResolveReferences();

    static IReadOnlyList<Assembly> ResolveReferences()
    {
        Assembly[] framework =
        [
            typeof(object).Assembly,
            typeof(Enumerable).Assembly,
            typeof(Console).Assembly,
            typeof(List<>).Assembly,
            typeof(System.Collections.Immutable.ImmutableArray).Assembly,
            typeof(System.Text.RegularExpressions.Regex).Assembly,
            Assembly.Load("System.Runtime"),
            Assembly.Load("netstandard"),
        ];
        // Pipeline.Plugins' own dependencies (the compiler, the plugin loader) are not part of the recipe surface.
        var referenced = HostAssemblies.Where(a => a != typeof(RecipeGlobals).Assembly)
            .SelectMany(a => a.GetReferencedAssemblies()).Select(TryLoad).OfType<Assembly>();
        return framework.Concat(HostAssemblies).Concat(referenced)
            .Where(a => !a.IsDynamic && !string.IsNullOrEmpty(a.Location))
            .DistinctBy(a => a.Location)
            .OrderBy(a => a.GetName().Name, StringComparer.Ordinal)
            .ToList();
    }

    static Assembly? TryLoad(AssemblyName name)
    {
        try { return Assembly.Load(name); }
        catch (Exception e) when (e is FileNotFoundException or FileLoadException or BadImageFormatException) { return null; }
    }
}
