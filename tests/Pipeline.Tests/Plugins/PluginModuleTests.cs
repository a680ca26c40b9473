using System.Text.Json;
using Pipeline.Components;
using Samplers.KDiffusion;
using Schedules.ComfyUI;
using Xunit;

namespace Pipeline.Tests.Plugins;

/// <summary>What the first-party plugin modules register, under which names and origins.</summary>
public class PluginModuleTests
{
    [Fact]
    public void The_sampler_plugin_registers_its_samplers_under_its_name()
    {
        var names = PluginRegistry.Snapshot.All(ComponentKind.Sampler).Where(r => r.Origin == "Samplers.KDiffusion").Select(r => r.Name);
        Assert.Equal(new[]
        {
            "ddim", "ddpm", "dpm_2", "dpm_2_ancestral", "dpmpp_2m_sde", "dpmpp_2m_sde_heun", "dpmpp_2s_ancestral_kdiffusion", "dpmpp_3m_sde",
            "dpmpp_sde", "euler_ancestral_kdiffusion", "euler_kdiffusion", "heun_kdiffusion", "ipndm", "lcm", "lms_comfyui",
        }, names.Order(StringComparer.Ordinal));
        Assert.Equal(new DPMPP2MSDESampler(Solver: DPMPP2MSDESolver.Heun), PluginRegistry.Snapshot.Sampler("dpmpp_2m_sde_heun"));
    }

    [Fact]
    public void The_schedule_plugin_registers_its_schedules_under_its_name()
    {
        var names = PluginRegistry.Snapshot.All(ComponentKind.Discretization).Where(r => r.Origin == "Schedules.ComfyUI").Select(r => r.Name);
        Assert.Equal(new[] { "beta", "ddim_uniform", "exponential", "kl_optimal", "linear_quadratic", "normal", "polyexponential", "sgm_uniform", "simple", "vp" },
            names.Order(StringComparer.Ordinal));
        Assert.Equal("built-in", PluginRegistry.Snapshot.Registration(ComponentKind.Discretization, "karras").Origin);
    }

    [Fact]
    public void Registering_a_plugin_twice_is_refused_as_a_duplicate()
    {
        var e = Assert.Throws<DuplicateComponentException>(() => PluginRegistry.With(PluginRegistry.Snapshot, new[] { new KDiffusionSamplers() }));
        Assert.Contains("already registered by Samplers.KDiffusion", e.Message);
        Assert.Throws<DuplicateComponentException>(() => PluginRegistry.With(PluginRegistry.Snapshot, new[] { new ComfyUISchedules() }));
    }

    [Fact]
    public void A_golden_case_whose_sampler_is_not_registered_fails_with_the_valid_names()
    {
        using var empty = JsonDocument.Parse("{}");
        var e = Assert.Throws<UnknownComponentException>(() =>
            KDiffusionGoldenFactory.Sampler(PluginRegistry.Snapshot, "k_diffusion.sampling.sample_dpm_fast", empty.RootElement, empty.RootElement));
        Assert.Contains("unknown sampler 'dpm_fast'; valid:", e.Message);
        Assert.Throws<UnknownComponentException>(() =>
            KDiffusionGoldenFactory.Sampler(ComponentRegistry.BuiltIns, "k_diffusion.sampling.sample_dpm_2", empty.RootElement, empty.RootElement));
    }

    [Fact]
    public void Sampler_knobs_are_validated_at_the_edge()
    {
        using var x = TorchSharp.torch.zeros(1, 1, 2, 2);
        var sigmas = new Pipeline.Diffusion.Sigmas(new[] { 2f, 1f, 0f });
        var noise = new Pipeline.Diffusion.Sampling.ReplayNoise(Array.Empty<TorchSharp.torch.Tensor>());
        Assert.Contains("eta", Assert.Throws<ArgumentOutOfRangeException>(() => new DPM2AncestralSampler(Eta: -1).Sample((a, _) => a, x, sigmas, noise)).Message);
        Assert.Contains("s_churn", Assert.Throws<ArgumentOutOfRangeException>(() => new DPM2Sampler(SChurn: -1).Sample((a, _) => a, x, sigmas, noise)).Message);
        Assert.Contains("r must be", Assert.Throws<ArgumentOutOfRangeException>(() => new DPMPPSDESampler(R: 0).Sample((a, _) => a, x, sigmas, noise)).Message);
        Assert.Contains("max_order", Assert.Throws<ArgumentOutOfRangeException>(() => new IPNDMSampler(MaxOrder: 5).Sample((a, _) => a, x, sigmas, noise)).Message);
    }
}
