using Pipeline.Components;
namespace Fixture.OldContract;
public sealed class FutureModule : IPluginModule
{
    public string Name => "Fixture.OldContract";
    public void Register(IComponentRegistrar registrar) => registrar.Register("sampler", "from_the_future", new object());
}
