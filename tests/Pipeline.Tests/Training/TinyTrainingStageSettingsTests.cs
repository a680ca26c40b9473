using Pipeline.Diffusion.Training;
using Pipeline.Training;
using Pipeline.Training.TinyDefault;
using Xunit;

namespace Pipeline.Tests.Training;

/// <summary>Which loss weighting, sigma sampler and noise-scale range each stage of the tiny plan trains with.</summary>
public class TinyTrainingStageSettingsTests
{
    static readonly TinyTrainingPlan Plan = new();
    static DiffusionStage RefinerStage => new("refiner", Plan.RefinerSteps, Pipeline.Training.World.WorldBuckets.MultiAspect);

    [Fact]
    public void By_default_the_base_stages_keep_sgms_eps_weighting_and_the_refiner_trains_with_min_snr_2_on_its_200_scales()
    {
        for (int i = 0; i < Plan.EffectiveBaseStages.Count; i++)
        {
            var s = TinyTraining.StageSettings(Plan, Plan.EffectiveBaseStages[i], i, refiner: false, null);
            Assert.Equal(new EpsWeighting(), s.LossWeighting);
            Assert.Null(s.MaxIdx);
            Assert.Equal(Plan.EffectiveBaseStages[i].Steps, s.Steps);
        }
        var r = TinyTraining.StageSettings(Plan, RefinerStage, 0, refiner: true, null);
        Assert.Equal(new MinSnrWeighting(2.0), r.LossWeighting);
        Assert.Equal(200, r.MaxIdx);
        Assert.Null(r.SigmaSampler);
    }

    [Fact]
    public void The_plans_weighting_reaches_the_refiner_only_when_the_refiner_has_none_of_its_own()
    {
        var edm = Plan with { LossWeighting = new EDMWeighting() };
        Assert.Equal(new EDMWeighting(), TinyTraining.StageSettings(edm, edm.EffectiveBaseStages[1], 1, refiner: false, null).LossWeighting);
        Assert.Equal(new MinSnrWeighting(2.0), TinyTraining.StageSettings(edm, RefinerStage, 0, refiner: true, null).LossWeighting);
        var both = edm with { RefinerLossWeighting = null };
        Assert.Equal(new EDMWeighting(), TinyTraining.StageSettings(both, RefinerStage, 0, refiner: true, null).LossWeighting);
        var sgm = Plan with { RefinerLossWeighting = null };
        Assert.Equal(new EpsWeighting(), TinyTraining.StageSettings(sgm, RefinerStage, 0, refiner: true, null).LossWeighting);
    }

    [Fact]
    public void WithLossWeighting_sets_every_stages_weighting_and_null_keeps_the_plan()
    {
        var v = Plan.WithLossWeighting(new VWeighting());
        Assert.Equal(new VWeighting(), TinyTraining.StageSettings(v, v.EffectiveBaseStages[2], 2, refiner: false, null).LossWeighting);
        Assert.Equal(new VWeighting(), TinyTraining.StageSettings(v, RefinerStage, 0, refiner: true, null).LossWeighting);
        Assert.Same(Plan, Plan.WithLossWeighting(null));
        Assert.Equal(Plan with { }, v with { LossWeighting = null, RefinerLossWeighting = Plan.RefinerLossWeighting });
    }

    [Fact]
    public void Channels_last_encoding_is_off_by_default_so_the_shipped_weights_reproduce_and_the_plan_switches_every_stage()
    {
        Assert.False(new DiffusionTrainingSettings().ChannelsLastEncode);
        Assert.False(TinyTraining.StageSettings(Plan, Plan.EffectiveBaseStages[1], 1, refiner: false, null).ChannelsLastEncode);
        var fast = Plan with { ChannelsLastEncode = true };
        Assert.All(fast.EffectiveBaseStages.Select((st, i) => TinyTraining.StageSettings(fast, st, i, refiner: false, null)), s => Assert.True(s.ChannelsLastEncode));
        Assert.True(TinyTraining.StageSettings(fast, RefinerStage, 0, refiner: true, null).ChannelsLastEncode);
    }

    [Fact]
    public void A_sigma_sampler_replaces_the_base_stages_draws_and_leaves_the_refiners_range()
    {
        var plan = Plan with { SigmaSampler = new EDMSampling() };
        Assert.Equal(new EDMSampling(), TinyTraining.StageSettings(plan, plan.EffectiveBaseStages[0], 0, refiner: false, null).SigmaSampler);
        var r = TinyTraining.StageSettings(plan, RefinerStage, 0, refiner: true, null);
        Assert.Null(r.SigmaSampler);
        Assert.Equal(200, r.MaxIdx);
        Assert.Empty(r.Problems());
    }

    [Fact]
    public void Each_stage_has_its_own_seed_and_a_latent_cache_for_its_distinct_batches()
    {
        var seeds = Plan.EffectiveBaseStages.Select((st, i) => TinyTraining.StageSettings(Plan, st, i, refiner: false, null).Seed).ToList();
        Assert.Equal(seeds.Count, seeds.Distinct().Count());
        var s = TinyTraining.StageSettings(Plan, Plan.EffectiveBaseStages[1], 1, refiner: false, null);
        Assert.Equal(Plan.DistinctBatches(Plan.EffectiveBaseStages[1].Steps) * Plan.BaseBatch, s.LatentCacheSize);
        Assert.Equal(0, TinyTraining.StageSettings(Plan with { DataEpochs = 1 }, Plan.EffectiveBaseStages[1], 1, refiner: false, null).LatentCacheSize);
    }
}
