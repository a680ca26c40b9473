using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Stages;
using Samplers.KDiffusion;
using Xunit;

namespace Pipeline.Tests.Generation;

/// <summary>A plan's noise source is an object: the plugin's Brownian tree drives an SDE sampler through the executor.</summary>
public class NoiseFactoryTests
{
    [Fact]
    public void A_Brownian_tree_plan_replays_exactly_and_differs_from_independent_noise()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var plan = TinyPlans.TextToImage(model, steps: 5).WithSampler(new DPMPP2MSDESampler(), "dpmpp_2m_sde");
        var brownian = plan with { Noise = new BrownianTreeNoiseFactory() };
        using var a = brownian.RunLatents();
        using var b = brownian.RunLatents();
        using var independent = plan.RunLatents();
        Assert.True(TinyPlans.Same(a, b));
        Assert.False(TinyPlans.Same(a, independent));
        Assert.Contains("BrownianTreeNoiseFactory(Tolerance=1E-06), seed 11", brownian.Describe());
    }
}
