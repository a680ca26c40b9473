using System.Reflection;
using System.Runtime.Loader;

namespace Pipeline.Plugins.Recipes;

/// <summary>
/// Holds one compiled recipe. Every other assembly (Pipeline, TorchSharp, Pipeline.Plugins, the framework) comes
/// from the host's context, so the recipe shares the host's types: its <see cref="RecipeGlobals"/> is ours.
/// </summary>
sealed class RecipeLoadContext(string name, AssemblyLoadContext host) : AssemblyLoadContext(name, isCollectible: false)
{
    protected override Assembly? Load(AssemblyName assemblyName) =>
        ReferenceEquals(host, Default) ? null : host.LoadFromAssemblyName(assemblyName);
}
