namespace Pipeline.Components;

/// <summary>A name that is not registered; the message lists the valid names.</summary>
public sealed class UnknownComponentException(ComponentKind kind, string name, IEnumerable<string> valid)
    : ArgumentException($"unknown {ComponentKinds.Display(kind)} '{name}'; valid: {string.Join(", ", valid)}")
{
    public ComponentKind Kind { get; } = kind;
    public string Name { get; } = name;
}

/// <summary>A second registration of a kind + name.</summary>
public sealed class DuplicateComponentException(ComponentRegistration existing, ComponentRegistration duplicate)
    : InvalidOperationException(
        $"{ComponentKinds.Display(duplicate.Kind)} '{duplicate.Name}' from {duplicate.Origin} is already registered by {existing.Origin}");
