using Pipeline.Models.Bundles;
using Pipeline.Plugins.Hosting;
using Pipeline.Plugins.Recipes;
using Pipeline.Tests.Hosting;
using Pipeline.Tests.Stages;
using Xunit;
using static Pipeline.Tests.Cli.CliHarness;

namespace Pipeline.Tests.Cli;

/// <summary>Faults from plugins and the recipe cache as the user sees them: one line that says where they came from.</summary>
public sealed class CliFaultTests : IDisposable
{
    readonly string _dir = Path.Combine(Path.GetTempPath(), "sdxl-cli-faults-" + Guid.NewGuid().ToString("N"));

    public CliFaultTests() => Directory.CreateDirectory(_dir);

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    static T WithVariable<T>(string name, string value, Func<T> run)
    {
        var previous = Environment.GetEnvironmentVariable(name);
        Environment.SetEnvironmentVariable(name, value);
        try { return run(); }
        finally { Environment.SetEnvironmentVariable(name, previous); }
    }

    [Fact]
    public void A_request_over_the_available_memory_exits_2_with_the_estimate_before_any_load()
    {
        long loads = SdxlModel.LoadCount;
        var png = Path.Combine(_dir, "big.png");

        var (code, output) = WithVariable(Pipeline.Diagnostics.AvailableMemory.Variable, "200M", () =>
            Sdxl("txt2img", "x", "--width", "128", "--height", "128", "--batch", "4", "--out", png));

        Assert.Equal(2, code);
        Assert.Contains("error: 128x128 × 4 needs about", output);
        Assert.Contains("but 200 MiB is available; try a smaller --width/--height, a smaller --batch, --dtype bf16", output);
        Assert.DoesNotContain("   at ", output);
        Assert.Equal(loads, SdxlModel.LoadCount);
        Assert.False(File.Exists(png));
    }

    [Fact]
    public void A_plugin_sampler_that_throws_is_reported_with_the_plugins_name_and_nothing_is_written()
    {
        var checkpoint = Path.Combine(_dir, "tiny.safetensors");
        using (var model = SdxlModel.Create(TinyModels.Base)) model.Save(checkpoint);
        using var folders = new PluginFolders("Fixture.Faulty");
        var png = Path.Combine(_dir, "x.png");

        var (code, output) = WithVariable(PluginDirectories.Variable, folders.Directory, () =>
            Sdxl("txt2img", "x", "--checkpoint", checkpoint, "--width", "32", "--height", "32", "--steps", "2",
                "--sampler", "fixture_faulty", "--out", png));

        Assert.Equal(1, code);
        Assert.Contains($"error: plugin 'Fixture.Faulty' ({Path.Combine(folders.Directory, "Fixture.Faulty", "Fixture.Faulty.dll")}): fixture sampler is broken", output);
        Assert.False(File.Exists(png));
    }

    [Fact]
    public void A_recipe_cache_variable_that_points_at_a_file_warns_and_runs_the_recipe()
    {
        var notAFolder = Path.Combine(_dir, "cache-is-a-file");
        File.WriteAllText(notAFolder, "x");
        var recipe = Path.Combine(_dir, "r.csx");
        File.WriteAllText(recipe, "40 + 2");

        var (code, output) = WithVariable(RecipeHostOptions.CacheEnvironmentVariable, notAFolder, () => Sdxl("run", recipe, "--out", _dir));

        Assert.True(code == 0, output);
        Assert.Contains($"warning: recipe cache {notAFolder} is unusable", output);
        Assert.Contains("42", output);
    }
}
