using Pipeline.Plugins.Recipes;
using Xunit;

namespace Pipeline.Tests.Recipes;

public sealed class RecipeCacheTests : IDisposable
{
    readonly RecipeWorkspace _ws = new();

    public void Dispose() => _ws.Dispose();

    [Fact]
    public void Writers_racing_to_store_the_same_key_leave_one_complete_entry_and_no_temporaries()
    {
        var source = RecipeSource.FromText("race.csx", "Args.Get(\"n\", 2) + 1");
        var key = RecipeCacheKey.Of(source.Text);
        var artifacts = RecipeCompiler.Compile(source, key, CancellationToken.None);
        var cache = new RecipeCache(_ws.CacheDirectory);

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ => cache.Store(key, artifacts));

        Assert.Equal([key], Directory.GetFileSystemEntries(_ws.CacheDirectory).Select(Path.GetFileName));
        var read = cache.TryRead(key)!;
        Assert.Equal(artifacts.Assembly, read.Assembly);
        Assert.Equal(artifacts.Pdb, read.Pdb);
        var host = _ws.NewHost();
        Assert.Equal(3, host.Run(source, _ws.Globals()).ReturnValue);
        Assert.Equal(0, host.CompilerInvocations);
    }

    [Fact]
    public void Compiling_the_same_text_twice_gives_identical_bytes()
    {
        var source = RecipeSource.FromText("same.csx", "var x = 1;\nx + 1");
        var key = RecipeCacheKey.Of(source.Text);
        var a = RecipeCompiler.Compile(source, key, CancellationToken.None);
        var b = RecipeCompiler.Compile(source, key, CancellationToken.None);
        Assert.Equal(a.Assembly, b.Assembly);
        Assert.Equal(a.Pdb, b.Pdb);
    }

    [Fact]
    public void A_damaged_entry_is_dropped_and_recompiled()
    {
        var source = _ws.Recipe("damaged.csx", "40 + 2");
        var first = _ws.NewHost();
        first.Run(source, _ws.Globals());
        File.WriteAllBytes(Path.Combine(first.CachePathOf(source), "recipe.dll"), [1, 2, 3]);

        var second = _ws.NewHost();
        var result = second.Run(source, _ws.Globals());
        Assert.Equal(42, result.ReturnValue);
        Assert.False(result.CompiledFromCache);
        Assert.Equal(1, second.CompilerInvocations);
        Assert.True(_ws.NewHost().Run(source, _ws.Globals()).CompiledFromCache);
    }

    [Fact]
    public void The_key_depends_on_the_text_only_not_on_the_file()
    {
        var a = _ws.Recipe("a.csx", "1");
        var b = _ws.Recipe("b.csx", "1");
        Assert.Equal(RecipeCacheKey.Of(a.Text), RecipeCacheKey.Of(b.Text));
        Assert.NotEqual(RecipeCacheKey.Of("1"), RecipeCacheKey.Of("1 "));
        Assert.Matches("^[0-9a-f]{64}$", RecipeCacheKey.Of("1"));

        var host = _ws.NewHost();
        Assert.False(host.Run(a, _ws.Globals()).CompiledFromCache);
        Assert.True(_ws.NewHost().Run(b, _ws.Globals()).CompiledFromCache);
    }
}
