using System.Diagnostics;
using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Sampling;
using Pipeline.Plugins.Hosting;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Hosting;

/// <summary>Plugins that hang, shadow another plugin or throw while running: skipped or named, never silent.</summary>
public class PluginFaultTests
{
    [Fact]
    public void A_plugin_whose_Register_never_returns_is_reported_as_hung_and_the_rest_carry_on()
    {
        using var folders = new PluginFolders("Fixture.Hangs", "HotV1");
        var clock = Stopwatch.StartNew();
        var snapshot = PluginHost.LoadOnce(new PluginHostOptions([folders.Directory], RegisterTimeout: TimeSpan.FromMilliseconds(300)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"loading took {clock.Elapsed}");

        var byName = snapshot.Plugins.ToDictionary(p => p.Name);
        Assert.Equal(PluginStatus.Hung, byName["Fixture.Hangs"].Status);
        Assert.Equal("plugin 'Fixture.Hangs' hung: loading and Register did not return within 0.3 s; skipped", byName["Fixture.Hangs"].Reason);
        Assert.Equal(PluginStatus.Loaded, byName["Fixture.Hot"].Status);
        Assert.True(snapshot.Registry.Contains(ComponentKind.Sampler, "fixture_hot"));
    }

    [Fact]
    public void A_folder_that_shadows_an_earlier_plugin_is_refused_naming_both_paths()
    {
        using var first = new PluginFolders("HotV1");
        using var second = new PluginFolders("HotV2");
        var snapshot = PluginHost.LoadOnce(new PluginHostOptions([first.Directory, second.Directory]));

        Assert.Equal(2, snapshot.Plugins.Count);
        var (kept, refused) = (snapshot.Plugins[0], snapshot.Plugins[1]);
        Assert.Equal(PluginStatus.Loaded, kept.Status);
        Assert.Equal(PluginStatus.Refused, refused.Status);
        Assert.Contains(Path.Combine(first.Directory, "Fixture.Hot", "Fixture.Hot.dll"), refused.Reason);
        Assert.Contains(Path.Combine(second.Directory, "Fixture.Hot", "Fixture.Hot.dll"), refused.Reason);
        Assert.Equal("fixture sampler v1", snapshot.Registry.Registration(ComponentKind.Sampler, "fixture_hot").Description);
    }

    [Fact]
    public void Plugin_directories_from_the_environment_come_after_the_first_party_ones_so_they_cannot_replace_them()
    {
        using var user = new PluginFolders();
        var directories = PluginDirectories.Default(user.Directory);
        Assert.Equal(user.Directory, directories[^1]);
        Assert.Contains(directories, d => d.EndsWith(Path.Combine("artifacts", "plugins"), StringComparison.Ordinal));

        // A user folder named like a first-party plugin: refused, and the first-party one stays.
        var firstParty = Path.Combine(directories.First(d => d.EndsWith(Path.Combine("artifacts", "plugins"), StringComparison.Ordinal)), "Template.Sampler");
        PluginFolders.CopyFolder(firstParty, Path.Combine(user.Directory, "Template.Sampler"));
        var snapshot = PluginHost.LoadOnce(new PluginHostOptions(directories));
        var refused = Assert.Single(snapshot.Plugins, p => p.Status != PluginStatus.Loaded);
        Assert.Equal(PluginStatus.Refused, refused.Status);
        Assert.Contains(firstParty, refused.Reason);
        Assert.Contains(user.Directory, refused.Reason);
        Assert.Single(snapshot.Plugins, p => p is { Name: "Template.Sampler", Status: PluginStatus.Loaded });
    }

    [Fact]
    public void An_exception_thrown_by_plugin_code_is_attributed_to_the_plugin_by_name_and_file()
    {
        using var folders = new PluginFolders("Fixture.Faulty");
        var snapshot = PluginHost.LoadOnce(new PluginHostOptions([folders.Directory]));
        var sampler = snapshot.Registry.Sampler("fixture_faulty");
        using var x = zeros(1, 4, 8, 8);
        using var noise = new SeededNoise(1);
        var error = Assert.Throws<InvalidOperationException>(() =>
            sampler.Sample((xx, _) => xx, x, new LegacyDDPMDiscretization().GetSigmas(2), noise));

        var origin = PluginOrigins.Of(new AggregateException(error));
        Assert.NotNull(origin);
        Assert.Equal("Fixture.Faulty", origin.Name);
        Assert.Equal(Path.Combine(folders.Directory, "Fixture.Faulty", "Fixture.Faulty.dll"), origin.AssemblyPath);
        Assert.StartsWith("plugin 'Fixture.Faulty' (", PluginOrigins.Describe(error, error.Message));
        Assert.EndsWith("Fixture.Faulty.dll): fixture sampler is broken", PluginOrigins.Describe(error, error.Message));
        Assert.Null(PluginOrigins.Of(new InvalidOperationException("host code")));
    }
}
