using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;
namespace Fixture.Faulty;
/// <summary>Registers a sampler that throws when it runs: the error must name this plugin.</summary>
public sealed class FaultyModule : IPluginModule
{
    public string Name => "Fixture.Faulty";
    public void Register(IComponentRegistrar registrar) =>
        registrar.Register(ComponentKind.Sampler, "fixture_faulty", new FaultySampler(), "throws on every run");
}

public sealed record FaultySampler : ISampler
{
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null) =>
        throw new InvalidOperationException("fixture sampler is broken");
}
