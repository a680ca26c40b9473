using Pipeline.Components;
using Pipeline.Diffusion.Sampling;
namespace Fixture.Duplicate;
/// <summary>Registers a fresh name and then 'euler', which the built-ins own: the whole plugin must be skipped.</summary>
public sealed class DuplicateModule : IPluginModule
{
    public string Name => "Fixture.Duplicate";
    public void Register(IComponentRegistrar registrar)
    {
        registrar.Register(ComponentKind.Sampler, "fixture_unique", new EulerEDMSampler(), "would be fine alone");
        registrar.Register(ComponentKind.Sampler, "euler", new EulerEDMSampler(), "clashes with the built-in");
    }
}
