using Pipeline.Diffusion.Sampling;
using Xunit;

namespace Pipeline.Tests.Plugins;

/// <summary>
/// The k-diffusion/ComfyUI flavours of sgm's samplers are the built-in records with one knob changed, registered
/// under their own (user-facing) names: one implementation per algorithm.
/// </summary>
public class SamplerTwinTests
{
    public static IEnumerable<object[]> Twins => new[]
    {
        new object[] { "euler", "euler_kdiffusion", new EulerEDMSampler() with { DrawNoiseEveryStep = true } },
        new object[] { "heun", "heun_kdiffusion", new HeunEDMSampler() with { DrawNoiseEveryStep = true } },
        new object[] { "euler_ancestral", "euler_ancestral_kdiffusion", new EulerAncestralSampler() with { NoiseOnLastStep = false } },
        new object[] { "dpmpp_2s_ancestral", "dpmpp_2s_ancestral_kdiffusion", new DPMPP2SAncestralSampler() with { NoiseOnLastStep = false } },
        new object[] { "lms", "lms_comfyui", new LinearMultistepSampler() with { LastStepReturnsDenoised = true } },
    };

    [Theory]
    [MemberData(nameof(Twins))]
    public void A_flavour_is_the_built_in_record_with_one_knob_changed(string builtIn, string flavour, ISampler expected)
    {
        var registry = PluginRegistry.Snapshot;
        Assert.Equal(expected, registry.Sampler(flavour));
        Assert.Equal(expected.GetType(), registry.Sampler(builtIn).GetType());
        Assert.NotEqual(expected, registry.Sampler(builtIn));
        Assert.Equal("Samplers.KDiffusion", registry.Registration(Pipeline.Components.ComponentKind.Sampler, flavour).Origin);
    }
}
