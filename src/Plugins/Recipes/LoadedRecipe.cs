using System.Reflection;
using System.Runtime.Loader;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// A compiled recipe loaded into its own context, ready to run. The script's entry point is the submission's
/// static factory: it takes the submission array (slot 0 = globals, slot 1 = the submission it creates) and
/// returns the task of the script body.
/// </summary>
sealed class LoadedRecipe
{
    readonly Func<object?[], Task<object?>> _factory;

    LoadedRecipe(Assembly assembly, Func<object?[], Task<object?>> factory)
    {
        Assembly = assembly;
        _factory = factory;
    }

    public Assembly Assembly { get; }

    public static LoadedRecipe Load(string key, RecipeArtifacts artifacts)
    {
        var host = AssemblyLoadContext.GetLoadContext(typeof(RecipeGlobals).Assembly) ?? AssemblyLoadContext.Default;
        var context = new RecipeLoadContext("sdxl-recipe-" + key[..16], host);
        using var pe = new MemoryStream(artifacts.Assembly, writable: false);
        using var pdb = new MemoryStream(artifacts.Pdb, writable: false);
        var assembly = context.LoadFromStream(pe, pdb);
        var type = assembly.GetType(artifacts.EntryType, throwOnError: true)!;
        var method = type.GetMethod(artifacts.EntryMethod, BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static)
            ?? throw new InvalidDataException($"compiled recipe {key} has no entry point {artifacts.EntryType}.{artifacts.EntryMethod}");
        var factory = method.CreateDelegate<Func<object?[], Task<object?>>>();
        return new LoadedRecipe(assembly, factory);
    }

    public Task<object?> Start(RecipeGlobals globals) => _factory([globals, null]);
}
