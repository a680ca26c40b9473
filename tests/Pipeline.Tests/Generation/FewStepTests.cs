using Pipeline.Components;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Guidance;
using Xunit;

namespace Pipeline.Tests.Generation;

/// <summary>The pieces few-step models need: the trailing schedule they were distilled on, and CFG ≤ 1 as no guidance.</summary>
public class FewStepTests
{
    [Theory]
    [InlineData(1, new[] { 999 })]
    [InlineData(2, new[] { 999, 499 })]
    [InlineData(4, new[] { 999, 749, 499, 249 })]
    [InlineData(8, new[] { 999, 874, 749, 624, 499, 374, 249, 124 })]
    [InlineData(3, new[] { 999, 666, 332 })]
    public void Trailing_spacing_takes_equal_strides_from_the_last_timestep(int steps, int[] expected)
    {
        var trailing = (TrailingDiscretization)ComponentRegistry.BuiltIns.Discretization("trailing");
        Assert.Equal(expected, trailing.Timesteps(steps));
        var legacy = new LegacyDDPMDiscretization();
        Assert.Equal(expected.Select(legacy.SigmaAt).Append(0f), trailing.GetSigmas(steps));
        // It starts at the table's largest sigma; sgm's spacing starts one stride lower for few steps.
        Assert.Equal(legacy.AscendingTable()[^1], trailing.GetSigmas(steps)[0]);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void A_cfg_scale_of_at_most_1_is_no_guidance_and_keeps_the_scale_for_the_parameters(double scale)
    {
        var guider = CfgScale.Guider(scale);
        Assert.IsType<IdentityGuider>(guider);
        Assert.Equal(scale, CfgScale.Of(guider));
    }

    [Fact]
    public void Above_1_it_is_classifier_free_guidance()
    {
        Assert.Equal(new VanillaCFG(1.5), CfgScale.Guider(1.5));
    }
}
