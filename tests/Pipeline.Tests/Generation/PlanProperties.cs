using FsCheck;
using FsCheck.Fluent;
using Pipeline.Components;
using Pipeline.Conditioning;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Generation;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Stages;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Generation;

/// <summary>Plans are values: edits return new plans, printing is a function of the plan, equal inputs run to equal latents.</summary>
public sealed class PlanProperties : IDisposable
{
    readonly SdxlModel _model = SdxlModel.Create(TinyModels.Base);

    public void Dispose() => _model.Dispose();

    GenerationPlan Build(PlanInputs i) =>
        TinyPlans.Registry.TextToImage(_model, i.Prompt, new ImageSize(i.Height, i.Width), i.Sampler, i.Schedule, i.Steps, i.Cfg, i.Seed, i.Negative, i.Batch);

    static GenerationPlan Edit(GenerationPlan p, int edit) => edit switch
    {
        0 => p.WithSeed(p.Seed + 1),
        1 => p.WithCfg(7.0),
        2 => p.WithSampler(new EulerAncestralSampler(Eta: 0.5), "euler_ancestral"),
        3 => p.WithSigmas(TinyPlans.Registry.Schedule("karras", 5), "karras"),
        4 => p with { Rows = [new PromptRow("other", "", MicroConditioning.ForImage(p.Size))] },
        5 => p with { Size = new ImageSize(p.Size.Height + 8, p.Size.Width) },
        6 => p with { Decode = new DecodeOptions(SamplesAtATime: 4) },
        7 => p with { Names = new ComponentNames("x", "y"), Guider = new IdentityGuider() },
        _ => p with { Noise = new SeededNoiseFactory(), Seed = p.Seed + 1000 },
    };

    [Fact]
    public void With_never_changes_the_original()
    {
        Prop.ForAll(PlanArbitraries.InputsAndEdits, x =>
        {
            var plan = Build(x.Inputs);
            var text = plan.Describe();
            var (rows, sigmas, sampler, guider, names) = (plan.Rows, plan.Sigmas, plan.Sampler, plan.Guider, plan.Names);
            var edited = Edit(plan, x.Edit);
            return (plan.Describe() == text && plan.Rows == rows && ReferenceEquals(plan.Sigmas, sigmas) && ReferenceEquals(plan.Sampler, sampler)
                    && ReferenceEquals(plan.Guider, guider) && plan.Names == names && !ReferenceEquals(edited, plan) && edited.Describe() != text)
                .Label($"edit {x.Edit}");
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void Printing_is_deterministic_and_shows_every_component()
    {
        Prop.ForAll(PlanArbitraries.Inputs, i =>
        {
            var a = Build(i).Describe();
            var b = Build(i).Describe();
            var again = Build(i).ToString();
            var expected = new[]
            {
                "model", "size", "rows", "noise", $"seed {i.Seed}", "schedule", $"{i.Schedule}: {i.Steps} steps", "sampler", i.Sampler, "guider",
                "decode", $"{i.Width}x{i.Height}, batch {i.Batch}",
            };
            return (a == b && a == again && expected.All(a.Contains)).Label(a);
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void A_plan_built_twice_from_the_same_inputs_runs_to_identical_latents()
    {
        Prop.ForAll(PlanArbitraries.Inputs, i =>
        {
            using var scope = NewDisposeScope();
            var a = Build(i).RunLatents();
            var b = Build(i).RunLatents();
            return TinyPlans.Same(a, b);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(8));
    }

    [Fact]
    public void The_description_names_refiner_and_init_parts()
    {
        using var refiner = SdxlModel.Create(TinyModels.Refiner);
        using var image = zeros(1, 3, 40, 32);
        var plan = TinyPlans.TextToImage(_model, steps: 10)
            .WithRefiner(RefinerStep.Handoff(refiner, 0.8, new EulerEDMSampler(), new VanillaCFG(2)) with { SamplerName = "euler" })
            .WithInit(InitInput.FromImage(image, 0.5));
        var text = plan.Describe();
        Assert.Contains("refiner        tiny-refiner, handoff at 0.8", text);
        Assert.Contains("init           image [1, 3, 40, 32], strength 0.5 → runs 5 steps", text);
        Assert.Contains("base runs", text);
        Assert.Contains("EulerEDMSampler(SChurn=0, STmin=0, STmax=∞, SNoise=1", text);
        Assert.Contains("VanillaCFG(Scale=2)", text);
        Assert.Contains("(refiner: seed 12)", text);
    }
}
