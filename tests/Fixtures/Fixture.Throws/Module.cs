using Pipeline.Components;
namespace Fixture.Throws;
public sealed class ThrowingModule : IPluginModule
{
    public string Name => "Fixture.Throws";
    public void Register(IComponentRegistrar registrar) => throw new InvalidOperationException("boom: fixture refuses to register");
}
