using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Template.Sampler;

/// <summary>
/// Template: deterministic DDIM (Song et al. 2021, η = 0) in σ form, x ← D + (σ_{i+1}/σ_i)·(x − D).
/// A sampler is an immutable record (knobs, if any, as properties); SamplerLoop runs the steps.
/// </summary>
public sealed record TemplateSampler : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) =>
        SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            var denoised = SamplingMath.Denoise(denoise, x, sigmas[i]);
            return (denoised + (x - denoised) * (sigmas[i + 1] / sigmas[i]), denoised);
        });
}

/// <summary>The plugin's single entry point: the host calls Register once per load.</summary>
public sealed class TemplatePlugin : IPluginModule
{
    public string Name => "Template.Sampler";

    public void Register(IComponentRegistrar r) =>
        r.Register(ComponentKind.Sampler, "template_ddim", new TemplateSampler(), "template plugin: deterministic DDIM in sigma form");
}
