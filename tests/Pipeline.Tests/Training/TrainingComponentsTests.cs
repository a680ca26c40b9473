using Pipeline.Components;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Training;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Stages;
using Pipeline.Training;
using Spectre.Console;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary>The trainer takes its loss weighting and sigma sampler as objects; names are resolved at the edge.</summary>
public class TrainingComponentsTests
{
    static DiffusionTrainingSettings Settings => new() { Steps = 2, LearningRate = 1e-3, WarmupSteps = 1, EmaDecay = 0.9, Seed = 3 };

    static SdxlModel NewModel()
    {
        manual_seed(11);
        return SdxlModel.Create(TinyModels.Base);
    }

    [Fact]
    public void The_trainer_runs_with_edm_weighting_and_edm_sigma_sampling_resolved_from_names()
    {
        var registry = ComponentRegistry.BuiltIns;
        var edm = Settings with { LossWeighting = registry.LossWeighting("edm"), SigmaSampler = registry.SigmaSampler("edm") };
        var data = new FakeTrainingData(2, 32, 32, seed: 4);
        double edmLoss, defaultLoss;
        using (var model = NewModel())
        using (var trainer = new DiffusionTrainer(model, data, edm))
        {
            Assert.Equal(new EDMWeighting(), trainer.LossFunction.Weighting);
            Assert.Equal(new EDMSampling(), trainer.LossFunction.SigmaSampler);
            edmLoss = trainer.TrainStep();
            Assert.True(double.IsFinite(trainer.TrainStep()));
            Assert.Equal(2, trainer.Step);
        }
        using (var model = NewModel())
        using (var trainer = new DiffusionTrainer(model, data, Settings))
            defaultLoss = trainer.TrainStep();
        Assert.True(double.IsFinite(edmLoss));
        Assert.NotEqual(defaultLoss, edmLoss);
    }

    [Fact]
    public void The_defaults_are_sgms_SDXL_recipe_over_the_models_own_noise_scales()
    {
        Assert.Equal(new EpsWeighting(), new DiffusionTrainingSettings().LossWeighting);
        Assert.Null(new DiffusionTrainingSettings().SigmaSampler);
        using var model = NewModel();
        using var trainer = new DiffusionTrainer(model, new FakeTrainingData(1, 32, 32), Settings with { MaxIdx = 200 });
        Assert.Equal(new DiscreteSampling(new LegacyDDPMDiscretization(), 1000, 0, 200), trainer.LossFunction.SigmaSampler);
        Assert.Equal(new EpsWeighting(), trainer.LossFunction.Weighting);
    }

    [Fact]
    public void A_noise_scale_range_with_another_sigma_sampler_is_refused()
    {
        using var model = NewModel();
        var ex = Assert.Throws<ArgumentException>(() =>
            new DiffusionTrainer(model, new FakeTrainingData(1, 32, 32), Settings with { SigmaSampler = new EDMSampling(), MaxIdx = 200 }));
        Assert.Contains("applies to the default discrete sigma sampler only", ex.Message);
    }

    [Fact]
    public void The_training_command_resolves_component_names_and_lists_the_valid_ones()
    {
        var (code, raw) = Pipeline.Tests.Cli.CliHarness.Sdxl("train", "--loss-weighting", "edn", "--work", Path.GetTempPath(), "--threads", "1");
        var output = string.Join(" ", raw.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        Assert.Equal(2, code);
        Assert.Contains("unknown loss weighting 'edn'; valid: edm, eps, min-snr, unit, v", output);
    }
}
