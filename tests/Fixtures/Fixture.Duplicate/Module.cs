using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;
namespace Fixture.Duplicate;
/// <summary>Registers a fresh name and then 'euler', which the built-ins own: the whole plugin must be skipped.</summary>
public sealed class DuplicateModule : IPluginModule
{
    public string Name => "Fixture.Duplicate";
    public void Register(IComponentRegistrar registrar)
    {
        registrar.Register(ComponentKind.Sampler, "fixture_unique", new StandStill(), "would be fine alone");
        registrar.Register(ComponentKind.Sampler, "euler", new StandStill(), "clashes with the built-in");
    }
}
/// <summary>A sampler that returns its start: only its name matters here.</summary>
public sealed record StandStill : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) => x.alias();
}
