namespace Pipeline.Components;

/// <summary>What a plugin's entry point (and the built-ins) register into.</summary>
public interface IComponentRegistrar
{
    /// <summary>Registers <paramref name="component"/> under <paramref name="kind"/> + <paramref name="name"/> (names are case-insensitive).</summary>
    void Register(ComponentKind kind, string name, object component, string description);
}
