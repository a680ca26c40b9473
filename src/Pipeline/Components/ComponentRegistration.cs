namespace Pipeline.Components;

/// <summary>
/// One registered component: a ready-to-use immutable instance with default settings (vary it with
/// <c>with { … }</c>), where it came from ("built-in" or a plugin's name) and a one-line description.
/// </summary>
public sealed record ComponentRegistration(ComponentKind Kind, string Name, object Component, string Origin, string Description);
