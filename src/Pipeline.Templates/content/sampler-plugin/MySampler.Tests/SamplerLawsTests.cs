using MySampler;
using Pipeline.Components;
using Pipeline.TestKit;
using Xunit;

namespace MySampler.Tests;

/// <summary>The laws every SdxlSharp sampler keeps, run on this plugin's sampler, and its registration.</summary>
public sealed class SamplerLawsTests
{
    [Fact] public void An_oracle_denoiser_takes_it_to_x0() => SamplerLaws.EndsAtX0(new MySamplerSampler());
    [Fact] public void It_is_deterministic_for_a_fixed_noise_source() => SamplerLaws.Deterministic(new MySamplerSampler());
    [Fact] public void It_leaves_no_live_tensors_behind() => SamplerLaws.NoLeaks(new MySamplerSampler());
    [Fact] public void It_reports_every_step_and_stops_when_cancelled() => SamplerLaws.ReportsAndCancels(new MySamplerSampler());

    [Fact]
    public void The_plugin_registers_the_sampler_under_its_name()
    {
        var registrar = new Recorder();
        new MySamplerPlugin().Register(registrar);
        var (kind, name, component) = Assert.Single(registrar.Registered);
        Assert.Equal((ComponentKind.Sampler, "mysampler"), (kind, name));
        Assert.IsType<MySamplerSampler>(component);
    }

    sealed class Recorder : IComponentRegistrar
    {
        public List<(ComponentKind, string, object)> Registered { get; } = new();
        public void Register(ComponentKind kind, string name, object component, string description) => Registered.Add((kind, name, component));
    }
}
