using Pipeline.Components;
namespace Fixture.Hangs;
/// <summary>Register never returns: the host must report the plugin as hung and carry on without it.</summary>
public sealed class HangingModule : IPluginModule
{
    public string Name => "Fixture.Hangs";
    public void Register(IComponentRegistrar registrar) => Thread.Sleep(Timeout.Infinite);
}
