using Pipeline.Diffusion;
using Pipeline.Generation;

namespace Pipeline.Components;

/// <summary>
/// Names → plan components, for the edges (CLI options, recipe arguments, the evaluation's settings): the library itself
/// takes objects. Unknown names fail with the valid list (<see cref="UnknownComponentException"/>).
/// </summary>
public static class RegistryPlans
{
    /// <summary>The schedule named <paramref name="schedule"/> with <paramref name="steps"/> steps.</summary>
    public static Sigmas Schedule(this ComponentRegistry registry, string schedule, int steps)
    {
        var discretization = registry.Discretization(schedule);
        if (steps < 1 || steps > 1000) throw new ArgumentException($"steps {steps} must be in 1..1000");
        var sigmas = discretization.GetSigmas(steps);
        if (sigmas.Steps != steps)
            throw new InvalidOperationException(
                $"the discretization '{schedule}' ({registry.Registration(ComponentKind.Discretization, schedule).Origin}) returned {sigmas.Steps} steps for {steps} requested; nothing ran");
        return sigmas;
    }

    /// <summary>The plan with the sampler named <paramref name="sampler"/>.</summary>
    public static GenerationPlan WithSampler(this GenerationPlan plan, ComponentRegistry registry, string sampler) =>
        plan.WithSampler(registry.Sampler(sampler), registry.Registration(ComponentKind.Sampler, sampler).Name);

    /// <summary>The plan with the schedule named <paramref name="schedule"/> over <paramref name="steps"/> steps.</summary>
    public static GenerationPlan WithSchedule(this GenerationPlan plan, ComponentRegistry registry, string schedule, int steps) =>
        plan.WithSigmas(registry.Schedule(schedule, steps), registry.Registration(ComponentKind.Discretization, schedule).Name);

    /// <summary>A text-to-image plan from names: the sampler and schedule are resolved here, before any work.</summary>
    public static GenerationPlan TextToImage(this ComponentRegistry registry, Models.Bundles.SdxlModel model, string prompt,
        Conditioning.ImageSize size, string sampler, string schedule, int steps, double cfg, long seed, string negative = "", int batch = 1) =>
        GenerationPlan.TextToImage(model, prompt, size, registry.Schedule(schedule, steps), registry.Sampler(sampler),
                Diffusion.Guidance.CfgScale.Guider(cfg), seed, negative, batch)
            with { Names = new ComponentNames(registry.Registration(ComponentKind.Sampler, sampler).Name, registry.Registration(ComponentKind.Discretization, schedule).Name) };
}
