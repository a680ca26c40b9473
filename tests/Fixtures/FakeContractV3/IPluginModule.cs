// Stands in for a future Pipeline.Contracts 3.0 so a plugin "built against another major version" exists for tests.
namespace Pipeline.Components;
public interface IComponentRegistrar { void Register(string kind, string name, object component); }
public interface IPluginModule { string Name { get; } void Register(IComponentRegistrar registrar); }
