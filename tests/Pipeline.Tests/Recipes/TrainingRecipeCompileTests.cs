using Pipeline.Plugins.Recipes;
using Pipeline.Tests.Goldens;
using Xunit;

namespace Pipeline.Tests.Recipes;

/// <summary>
/// The training and evaluation recipes (too slow to run here) compile: the recipe host's references and imports include
/// the training assembly, which is not part of the library.
/// </summary>
public class TrainingRecipeCompileTests
{
    [Theory]
    [InlineData("train-tiny.csx")]
    [InlineData("evaluate-tiny.csx")]
    [InlineData("shipped-gates.csx")]
    [InlineData("world-limits.csx")]
    public void A_training_recipe_compiles_against_the_host_assemblies(string recipe)
    {
        var source = RecipeSource.FromFile(Path.Combine(RepositoryPaths.Root, "recipes", recipe));
        var artifacts = RecipeCompiler.Compile(source, "test-" + Path.GetFileNameWithoutExtension(recipe), CancellationToken.None);
        Assert.NotEmpty(artifacts.Assembly);
    }

    [Fact]
    public void The_recipe_host_provides_the_contracts_the_library_and_the_training_assembly()
    {
        var names = RecipeImports.HostAssemblies.Select(a => a.GetName().Name).ToHashSet();
        Assert.Superset(new HashSet<string?> { "Pipeline.Contracts", "Pipeline", "Pipeline.Training", "Pipeline.Plugins", "TorchSharp" }, names);
    }
}
