using FsCheck;
using FsCheck.Fluent;
using Pipeline.Components;
using Pipeline.Diffusion.Guidance;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Properties;

/// <summary>One suite of laws, run over every guider the registry holds (built-ins and the first-party plugins).</summary>
public class GuiderProperties
{
    static ComponentRegistry Registry => Pipeline.Tests.Plugins.PluginRegistry.Snapshot;

    public static IEnumerable<object[]> Guiders => Registry.Names(ComponentKind.Guider).Select(n => new object[] { n });

    public static IEnumerable<object[]> ScalableGuiders =>
        Registry.All(ComponentKind.Guider).Where(r => r.Component is IScalableGuider).Select(r => new object[] { r.Name });

    static Arbitrary<(int Seed, int Batch, double Scale)> Runs =>
        (from seed in Gen.Choose(0, 100000) from batch in Gen.Choose(1, 3) from scale in Gen.Choose(0, 150) select (seed, batch, scale / 10.0))
        .ToArbitrary();

    [Theory]
    [MemberData(nameof(Guiders))]
    public void At_scale_one_every_guider_is_the_conditional_prediction(string name) => Prop.ForAll(Runs, run =>
    {
        using var scope = NewDisposeScope();
        var c = GuidanceCase.From(run.Seed, run.Batch);
        double err = GuidanceCase.MaxRelativeError(c.Guide(Registry.Guider(name, 1.0)), c.Conditional);
        return (err <= 1e-5).Label($"relative error {err}");
    }).QuickCheckThrowOnFailure();

    [Theory]
    [MemberData(nameof(ScalableGuiders))]
    public void When_both_branches_agree_any_scale_returns_that_prediction(string name) => Prop.ForAll(Runs, run =>
    {
        using var scope = NewDisposeScope();
        var c = GuidanceCase.From(run.Seed, run.Batch);
        var same = c with { Uncond = c.Cond };
        double err = GuidanceCase.MaxRelativeError(same.Guide(Registry.Guider(name, run.Scale)), c.Conditional);
        return (err <= 1e-5).Label($"relative error {err}");
    }).QuickCheckThrowOnFailure();

    [Theory]
    [MemberData(nameof(Guiders))]
    public void Guiding_leaves_its_inputs_unchanged_and_no_live_tensors_behind(string name)
    {
        var guider = Registry.Guider(name);
        using var scope = NewDisposeScope();
        var c = GuidanceCase.From(7, 2);
        var (x, sigma, cond) = (c.X.clone(), c.Sigma.clone(), c.Cond.Concat!.clone());
        using (var warm = c.Guide(guider)) { }
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var result = c.Guide(guider)) Assert.Equal(c.X.shape, result.shape);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
        Assert.True(Same(c.X, x) && Same(c.Sigma, sigma) && Same(c.Cond.Concat!, cond), "a guider modified its inputs");
    }

    static bool Same(Tensor a, Tensor b) => a.eq(b).all().item<bool>();

    [Theory]
    [MemberData(nameof(ScalableGuiders))]
    public void Setting_the_scale_returns_a_new_guider_with_every_other_knob_kept(string name)
    {
        var registered = (IScalableGuider)Registry.Guider(name);
        var scaled = (IScalableGuider)Registry.Guider(name, 7.5);
        Assert.Equal(7.5, scaled.Scale);
        Assert.Equal(registered, scaled.WithScale(registered.Scale));
        Assert.Equal((IScalableGuider)Registry.Guider(name), registered);
    }

    [Fact]
    public void A_guider_without_a_scale_refuses_another_scale_and_names_the_guiders_with_one()
    {
        Assert.IsType<IdentityGuider>(Registry.Guider("identity", 1.0));
        var ex = Assert.Throws<ArgumentException>(() => Registry.Guider("identity", 5.0));
        Assert.Contains("guidance_rescale", ex.Message);
        Assert.Contains("vanilla_cfg", ex.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => Registry.Guider("vanilla_cfg", double.NaN));
        var unknown = Assert.Throws<UnknownComponentException>(() => Registry.Guider("cfg", 5.0));
        Assert.Contains("valid: guidance_rescale, guidance_rescale_eps, identity, vanilla_cfg", unknown.Message);
    }
}
