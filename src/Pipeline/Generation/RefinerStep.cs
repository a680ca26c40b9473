using System.Collections.Immutable;
using Pipeline.Adapters;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Models.Bundles;
using Pipeline.Stages;

namespace Pipeline.Generation;

/// <summary>
/// The refiner part of a plan. Handoff: the base runs the first <see cref="At"/> share of its schedule and the refiner
/// continues the same trajectory (<see cref="Steps"/> is ignored). SDEdit: the base finishes, the refiner noises the
/// result to strength <see cref="At"/> within its 200 noise scales and runs <see cref="Steps"/> steps.
/// <para>Noise: the refiner draws from its own source, made by the plan's noise factory with seed + 1, so refining a
/// latent does not depend on how many draws the base's sampler made.</para>
/// <para>Conditioning: the plan's prompt rows with the refiner's aesthetic scores, or <see cref="Conditioning"/> when
/// given (computed with the refiner's conditioner; not owned by the plan).</para>
/// <para>Adapters: <see cref="Adapters"/> (mapped against the refiner's config) change the refiner for the refine phase,
/// its conditioning included, applied the way the plan's <see cref="GenerationPlan.AdapterApplication"/> says; the base's
/// adapters never touch the refiner.</para>
/// </summary>
public sealed record RefinerStep(SdxlModel Model, RefinerMode Mode, double At, ISampler Sampler, IGuider Guider, int Steps = 10)
{
    public double AestheticScore { get; init; } = Pipeline.Conditioning.ConditionerInput.DefaultAestheticScore;
    public double NegativeAestheticScore { get; init; } = Pipeline.Conditioning.ConditionerInput.DefaultNegativeAestheticScore;
    public ConditioningPair? Conditioning { get; init; }
    /// <summary>The sampler's registry name, if it came from one (shown by <see cref="GenerationPlan.Describe"/>).</summary>
    public string? SamplerName { get; init; }
    /// <summary>LoRA/LyCORIS adapters for the refiner phase (empty: none).</summary>
    public ImmutableArray<AdapterUse> Adapters { get; init; } = ImmutableArray<AdapterUse>.Empty;

    /// <summary>This step with <paramref name="adapters"/> for the refiner phase.</summary>
    public RefinerStep WithAdapters(params AdapterUse[] adapters) => this with { Adapters = adapters.ToImmutableArray() };

    public static RefinerStep Handoff(SdxlModel model, double fraction, ISampler sampler, IGuider guider) =>
        new(model, RefinerMode.Handoff, fraction, sampler, guider);

    public static RefinerStep SdEdit(SdxlModel model, double strength, int steps, ISampler sampler, IGuider guider) =>
        new(model, RefinerMode.SDEdit, strength, sampler, guider, steps);

    /// <summary>Every problem with this step (empty when valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (Model is null) p.Add("the refiner step has no model");
        else if (Model.Config.Kind != SdxlModelKind.Refiner) p.Add($"'{Model.Name}' is not a refiner model");
        if (Sampler is null) p.Add("the refiner step has no sampler");
        if (Guider is null) p.Add("the refiner step has no guider");
        if (Mode == RefinerMode.Handoff && !(At > 0 && At < 1)) p.Add($"handoff fraction {At} must be in (0, 1)");
        if (Mode == RefinerMode.SDEdit && !(At > 0 && At <= 1)) p.Add($"strength {At} must be in (0, 1]");
        if (Steps < 1) p.Add($"refiner steps {Steps} must be >= 1");
        if (!double.IsFinite(AestheticScore) || !double.IsFinite(NegativeAestheticScore)) p.Add("refiner aesthetic scores must be finite");
        if (Model is not null) p.AddRange(PlanValidation.AdapterProblems(Adapters, Model, "refiner "));
        return p;
    }
}
