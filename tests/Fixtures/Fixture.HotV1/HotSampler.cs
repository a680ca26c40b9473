using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Fixture.Hot;

/// <summary>Euler whose every step is scaled by <see cref="Factor"/> (1.0 in V1, 0.5 in V2), so versions differ.</summary>
public sealed record HotSampler(double Factor) : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) =>
        SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            var sigma = SamplingMath.SigmaVector(x, sigmas[i]);
            var denoised = denoise(x, sigma);
            var dt = sigmas[i + 1] - sigmas[i];
            return (x + Factor * dt * SamplingMath.ToD(x, sigma, denoised), denoised);
        });
}

public sealed class HotModule : IPluginModule
{
    public string Name => "Fixture.Hot";
    public void Register(IComponentRegistrar registrar) =>
        registrar.Register(ComponentKind.Sampler, "fixture_hot", new HotSampler(HotVersion.Factor), $"fixture sampler v{HotVersion.Number}");
}
