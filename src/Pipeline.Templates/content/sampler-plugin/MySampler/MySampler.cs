using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace MySampler;

/// <summary>
/// Deterministic DDIM (Song et al. 2021, η = 0) in σ form, x ← D + (σ_{i+1}/σ_i)·(x − D): change it into your sampler.
/// A sampler is an immutable record (knobs, if any, as properties); SamplerLoop runs the steps.
/// </summary>
public sealed record MySamplerSampler : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) =>
        SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            var denoised = SamplingMath.Denoise(denoise, x, sigmas[i]);
            return (denoised + (x - denoised) * (sigmas[i + 1] / sigmas[i]), denoised);
        });
}

/// <summary>The plugin's single entry point: the host calls Register once per load.</summary>
public sealed class MySamplerPlugin : IPluginModule
{
    public string Name => "MySampler";

    public void Register(IComponentRegistrar r) =>
        r.Register(ComponentKind.Sampler, "mysampler", new MySamplerSampler(), "MySampler: deterministic DDIM in sigma form");
}
