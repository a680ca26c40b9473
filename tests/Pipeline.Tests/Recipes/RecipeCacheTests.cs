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
        var read = cache.TryRead(key, out var discarded)!;
        Assert.Null(discarded);
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

    [Fact]
    public void Another_recipes_assembly_copied_into_an_entry_is_discarded_and_recompiled_with_one_notice()
    {
        var a = _ws.Recipe("a.csx", "\"I am recipe A\"");
        var b = _ws.Recipe("b.csx", "\"I am recipe B\"");
        var first = _ws.NewHost();
        first.Run(a, _ws.Globals());
        first.Run(b, _ws.Globals());
        File.Copy(Path.Combine(first.CachePathOf(b), "recipe.dll"), Path.Combine(first.CachePathOf(a), "recipe.dll"), overwrite: true);

        var log = new List<string>();
        var second = new RecipeHost(_ws.Options, log.Add);
        var result = second.Run(a, _ws.Globals());
        Assert.Equal("I am recipe A", result.ReturnValue);
        Assert.False(result.CompiledFromCache);
        Assert.Contains("recipe.dll that does not match its recorded hash; discarded, recompiling", Assert.Single(log));
        Assert.True(new RecipeHost(_ws.Options).Run(a, _ws.Globals()).CompiledFromCache);
    }

    [Fact]
    public void Another_recipes_whole_entry_copied_over_an_entry_is_discarded_and_recompiled()
    {
        var a = _ws.Recipe("a.csx", "\"I am recipe A\"");
        var b = _ws.Recipe("b.csx", "\"I am recipe B\"");
        var first = _ws.NewHost();
        first.Run(a, _ws.Globals());
        first.Run(b, _ws.Globals());
        foreach (var file in Directory.GetFiles(first.CachePathOf(b)))
            File.Copy(file, Path.Combine(first.CachePathOf(a), Path.GetFileName(file)), overwrite: true);

        var log = new List<string>();
        var result = new RecipeHost(_ws.Options, log.Add).Run(a, _ws.Globals());
        Assert.Equal("I am recipe A", result.ReturnValue);
        Assert.False(result.CompiledFromCache);
        Assert.Contains("holds the compilation of another recipe", Assert.Single(log));
    }

    [Fact]
    public void An_entry_that_is_a_plain_file_is_replaced_by_a_recompiled_entry()
    {
        var source = _ws.Recipe("file.csx", "6 * 7");
        var host = _ws.NewHost();
        Directory.CreateDirectory(_ws.CacheDirectory);
        File.WriteAllText(host.CachePathOf(source), "not a folder");

        var log = new List<string>();
        var result = new RecipeHost(_ws.Options, log.Add).Run(source, _ws.Globals());
        Assert.Equal(42, result.ReturnValue);
        Assert.Contains("is a file, not a cache folder; discarded, recompiling", Assert.Single(log));
        Assert.True(Directory.Exists(host.CachePathOf(source)));
        Assert.True(_ws.NewHost().Run(source, _ws.Globals()).CompiledFromCache);
    }

    [Fact]
    public void A_cache_folder_that_is_a_file_falls_back_to_compiling_in_memory_with_one_warning()
    {
        Directory.CreateDirectory(_ws.Root);
        var notAFolder = Path.Combine(_ws.Root, "cache-file");
        File.WriteAllText(notAFolder, "x");
        var log = new List<string>();
        var host = new RecipeHost(new RecipeHostOptions(notAFolder), log.Add);

        Assert.Equal(2, host.Run(_ws.Recipe("one.csx", "1 + 1"), _ws.Globals()).ReturnValue);
        Assert.Equal(3, host.Run(_ws.Recipe("two.csx", "1 + 2"), _ws.Globals()).ReturnValue);
        Assert.True(host.Run(_ws.Recipe("again.csx", "1 + 1"), _ws.Globals()).CompiledFromCache); // loaded in this process
        var warning = Assert.Single(log);
        Assert.StartsWith("warning: recipe cache " + notAFolder + " is unusable", warning);
        Assert.Contains("compiling in memory", warning);
        Assert.Equal("x", File.ReadAllText(notAFolder));
    }
}
