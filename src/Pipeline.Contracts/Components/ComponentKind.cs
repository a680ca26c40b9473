using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Diffusion.Scaling;
using Pipeline.Diffusion.Training;

namespace Pipeline.Components;

/// <summary>
/// The kinds of interchangeable components; built-ins and plugins register under a kind and a name. Embedders are not a
/// kind: they are part of a model's architecture (their widths fix the UNet's context and vector inputs, their weights
/// live in the checkpoint), so they are chosen by the model config (<c>ConditionerConfig</c>), not swapped by name.
/// </summary>
public enum ComponentKind
{
    /// <summary>An <see cref="Diffusion.Sampling.ISampler"/>: integrates a schedule (<c>euler</c>, <c>dpmpp_2m</c>, …).</summary>
    Sampler,

    /// <summary>An <see cref="Diffusion.Discretization.IDiscretization"/>: steps → schedule (<c>karras</c>, <c>legacy_ddpm</c>, …).</summary>
    Discretization,

    /// <summary>An <see cref="Diffusion.Scaling.IDenoiserScaling"/>: the model's parameterisation (<c>eps</c>, <c>v</c>, <c>edm</c>, …).</summary>
    DenoiserScaling,

    /// <summary>An <see cref="Diffusion.Guidance.IGuider"/>: how conditional and unconditional predictions combine.</summary>
    Guider,

    /// <summary>An <see cref="Diffusion.Training.ILossWeighting"/>: λ(σ) of the training loss.</summary>
    LossWeighting,

    /// <summary>An <see cref="Diffusion.Training.ISigmaSampler"/>: the training noise-level distribution.</summary>
    SigmaSampler,
}

/// <summary>What each <see cref="ComponentKind"/> means: its contract type and its display name.</summary>
public static class ComponentKinds
{
    /// <summary>The contract type a component of each kind implements.</summary>
    public static Type ContractOf(ComponentKind kind) => kind switch
    {
        ComponentKind.Sampler => typeof(ISampler),
        ComponentKind.Discretization => typeof(IDiscretization),
        ComponentKind.DenoiserScaling => typeof(IDenoiserScaling),
        ComponentKind.Guider => typeof(IGuider),
        ComponentKind.LossWeighting => typeof(ILossWeighting),
        ComponentKind.SigmaSampler => typeof(ISigmaSampler),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Lower-case display name ("sampler", "discretization", …) used in messages and the CLI.</summary>
    public static string Display(ComponentKind kind) => kind switch
    {
        ComponentKind.DenoiserScaling => "scaling",
        ComponentKind.LossWeighting => "loss weighting",
        ComponentKind.SigmaSampler => "sigma sampler",
        _ => kind.ToString().ToLowerInvariant(),
    };
}
