using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Sampling;
using Pipeline.Plugins.Hosting;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Hosting;

public class PluginHostTests
{
    static PluginSnapshot LoadFrom(PluginFolders folders) => PluginHost.LoadOnce(new PluginHostOptions(new[] { folders.Directory }));

    [Fact]
    public void A_good_plugin_adds_its_components_next_to_the_built_ins_with_its_origin()
    {
        using var folders = new PluginFolders("HotV1");
        var snapshot = LoadFrom(folders);
        var result = Assert.Single(snapshot.Plugins);
        Assert.Equal(PluginStatus.Loaded, result.Status);
        Assert.Equal("fixture_hot", Assert.Single(result.Registered).Name);
        var registration = snapshot.Registry.Registration(ComponentKind.Sampler, "fixture_hot");
        Assert.Equal("Fixture.Hot", registration.Origin);
        Assert.Equal(ComponentRegistry.BuiltIns.Count + 1, snapshot.Registry.Count);
        Assert.IsAssignableFrom<ISampler>(registration.Component);
    }

    [Fact]
    public void Broken_plugins_are_reported_with_their_reason_and_the_rest_carry_on()
    {
        using var folders = new PluginFolders("Fixture.Throws", "Fixture.NoEntry", "Fixture.Duplicate", "Fixture.OldContract", "HotV1");
        var snapshot = LoadFrom(folders);
        var byName = snapshot.Plugins.ToDictionary(p => p.Name);
        Assert.Equal(5, byName.Count);

        Assert.Equal(PluginStatus.Failed, byName["Fixture.Throws"].Status);
        Assert.Contains("boom: fixture refuses to register", byName["Fixture.Throws"].Reason);

        Assert.Equal(PluginStatus.Failed, byName["Fixture.NoEntry"].Status);
        Assert.Contains("no entry point", byName["Fixture.NoEntry"].Reason);

        Assert.Equal(PluginStatus.Failed, byName["Fixture.Duplicate"].Status);
        Assert.Contains("duplicate", byName["Fixture.Duplicate"].Reason);
        Assert.Contains("'euler'", byName["Fixture.Duplicate"].Reason);
        Assert.False(snapshot.Registry.Contains(ComponentKind.Sampler, "fixture_unique")); // all or nothing

        Assert.Equal(PluginStatus.Refused, byName["Fixture.OldContract"].Status);
        Assert.Contains("contract 3.0", byName["Fixture.OldContract"].Reason);
        Assert.Contains($"contract {PluginContract.Major}.{PluginContract.Minor}", byName["Fixture.OldContract"].Reason);

        Assert.Equal(PluginStatus.Loaded, byName["Fixture.Hot"].Status);
        Assert.True(snapshot.Registry.Contains(ComponentKind.Sampler, "fixture_hot"));
        Assert.Equal(ComponentRegistry.BuiltIns.Names(ComponentKind.Sampler).Count + 1, snapshot.Registry.Names(ComponentKind.Sampler).Count);
    }

    [Fact]
    public void Unknown_names_list_built_in_and_plugin_components()
    {
        using var folders = new PluginFolders("HotV1");
        var ex = Assert.Throws<UnknownComponentException>(() => LoadFrom(folders).Registry.Sampler("eulr"));
        Assert.Equal("unknown sampler 'eulr'; valid: " + string.Join(", ", LoadFrom(folders).Registry.Names(ComponentKind.Sampler)), ex.Message);
        Assert.Contains("fixture_hot", ex.Message);
        Assert.Contains("euler", ex.Message);
    }

    static Tensor Run(ISampler sampler, Action<SamplerStep>? onStep = null)
    {
        using var x = randn(new long[] { 1, 4, 8, 8 }, generator: new Generator(42));
        using var noise = new SeededNoise(1);
        var sigmas = new LegacyDDPMDiscretization().GetSigmas(30);
        return sampler.Sample((xx, s) => xx / (1 + SamplingMath.AppendDims(s, 4).pow(2)), x, sigmas, noise, new SamplingOptions(onStep));
    }

    [Fact]
    public void Hot_reload_swaps_the_snapshot_without_disturbing_a_run_in_progress()
    {
        using var folders = new PluginFolders("HotV1");
        using var host = new PluginHost(new PluginHostOptions(new[] { folders.Directory }, HotReload: true, ReloadDelay: TimeSpan.FromMilliseconds(100)));
        using var reloaded = new ManualResetEventSlim();
        host.Reloaded += _ => reloaded.Set();
        var started = host.Current;
        Assert.Equal(1, started.Generation);

        using var undisturbedV1 = Run(started.Registry.Sampler("fixture_hot"));
        bool replaced = false;
        using var disturbed = Run(started.Registry.Sampler("fixture_hot"), step =>
        {
            if (step.Index != 5) return;
            // Mid-run: a rebuild replaces the plugin's files; wait until the host has swapped in the new version.
            var v2 = Directory.GetDirectories(Path.Combine(Goldens.RepositoryPaths.Root, "artifacts", "test-plugins", "HotV2")).Single();
            PluginFolders.CopyFolder(v2, Path.Combine(folders.Directory, "Fixture.Hot"));
            replaced = reloaded.Wait(TimeSpan.FromSeconds(20));
        });
        Assert.True(replaced, "the host did not reload within 20 s of the plugin being replaced");
        Assert.True(disturbed.eq(undisturbedV1).all().item<bool>(), "the run in progress changed when the plugin was replaced");

        var next = host.Current;
        Assert.True(next.Generation > started.Generation);
        Assert.Equal("fixture sampler v2", next.Registry.Registration(ComponentKind.Sampler, "fixture_hot").Description);
        using var v2Run = Run(next.Registry.Sampler("fixture_hot"));
        Assert.False(v2Run.eq(undisturbedV1).all().item<bool>(), "the next run did not use the new plugin version");
        Assert.Equal("fixture sampler v1", started.Registry.Registration(ComponentKind.Sampler, "fixture_hot").Description);
    }
}

public class FirstPartyPluginLoadingTests
{
    [Fact]
    public void The_solution_build_puts_first_party_plugins_where_the_host_finds_them()
    {
        var snapshot = PluginHost.LoadOnce();
        var loaded = snapshot.Plugins.Where(p => p.Status == PluginStatus.Loaded).Select(p => p.Name).ToHashSet();
        Assert.Superset(new HashSet<string> { "Samplers.KDiffusion", "Schedules.ComfyUI", "Template.Sampler", "Guiders.Rescale" }, loaded);
        Assert.All(snapshot.Plugins, p => Assert.True(p.Status == PluginStatus.Loaded, $"{p.Name}: {p.Reason}"));
        foreach (var name in new[] { "dpm_2", "dpmpp_2m_sde", "dpmpp_3m_sde", "lcm", "ddpm", "ipndm", "euler", "template_ddim" })
            Assert.IsAssignableFrom<ISampler>(snapshot.Registry.Sampler(name));
        foreach (var name in new[] { "karras", "exponential", "sgm_uniform", "simple", "normal", "ddim_uniform", "beta", "kl_optimal", "linear_quadratic" })
            Assert.IsAssignableFrom<IDiscretization>(snapshot.Registry.Discretization(name));
        Assert.Equal("Samplers.KDiffusion", snapshot.Registry.Registration(ComponentKind.Sampler, "dpm_2").Origin);
    }
}
