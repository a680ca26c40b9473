using System.Collections.Immutable;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Diffusion.Scaling;
using Pipeline.Diffusion.Training;

namespace Pipeline.Components;

/// <summary>
/// An immutable snapshot of registered components keyed by kind + name. Adding returns a new snapshot, so a
/// run that captured a snapshot keeps its components while plugins are reloaded. Unknown names fail with the
/// list of valid names; nothing falls back silently.
/// </summary>
public sealed class ComponentRegistry
{
    readonly ImmutableDictionary<(ComponentKind, string), ComponentRegistration> _entries;

    ComponentRegistry(ImmutableDictionary<(ComponentKind, string), ComponentRegistration> entries) => _entries = entries;

    public static ComponentRegistry Empty { get; } = new(ImmutableDictionary<(ComponentKind, string), ComponentRegistration>.Empty);

    /// <summary>sgm's components under their k-diffusion/sgm names.</summary>
    public static ComponentRegistry BuiltIns { get; } = BuiltInComponents.RegisterInto(Empty, BuiltInComponents.Origin);

    public int Count => _entries.Count;

    static string Key(string name) => name.Trim().ToLowerInvariant();

    /// <summary>A new snapshot with <paramref name="registration"/> added; throws on a duplicate or a wrong contract type.</summary>
    public ComponentRegistry Add(ComponentRegistration registration)
    {
        ArgumentNullException.ThrowIfNull(registration);
        if (string.IsNullOrWhiteSpace(registration.Name)) throw new ArgumentException("component name must not be empty");
        var contract = ComponentKinds.ContractOf(registration.Kind);
        if (!contract.IsInstanceOfType(registration.Component))
            throw new ArgumentException(
                $"{ComponentKinds.Display(registration.Kind)} '{registration.Name}' from {registration.Origin} is a {registration.Component.GetType().Name}, not an {contract.Name}");
        var key = (registration.Kind, Key(registration.Name));
        if (_entries.TryGetValue(key, out var existing)) throw new DuplicateComponentException(existing, registration);
        return new ComponentRegistry(_entries.Add(key, registration with { Name = Key(registration.Name) }));
    }

    /// <summary>All registrations of <paramref name="kind"/>, sorted by name.</summary>
    public IReadOnlyList<ComponentRegistration> All(ComponentKind kind) =>
        _entries.Values.Where(r => r.Kind == kind).OrderBy(r => r.Name, StringComparer.Ordinal).ToList();

    public IReadOnlyList<ComponentRegistration> All() =>
        _entries.Values.OrderBy(r => r.Kind).ThenBy(r => r.Name, StringComparer.Ordinal).ToList();

    public IReadOnlyList<string> Names(ComponentKind kind) => All(kind).Select(r => r.Name).ToList();

    public bool Contains(ComponentKind kind, string name) => _entries.ContainsKey((kind, Key(name)));

    public ComponentRegistration Registration(ComponentKind kind, string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _entries.TryGetValue((kind, Key(name)), out var r) ? r : throw new UnknownComponentException(kind, name, Names(kind));
    }

    public T Get<T>(ComponentKind kind, string name) where T : class => (T)Registration(kind, name).Component;

    public ISampler Sampler(string name) => Get<ISampler>(ComponentKind.Sampler, name);
    public IDiscretization Discretization(string name) => Get<IDiscretization>(ComponentKind.Discretization, name);
    public IDenoiserScaling Scaling(string name) => Get<IDenoiserScaling>(ComponentKind.DenoiserScaling, name);
    public IGuider Guider(string name) => Get<IGuider>(ComponentKind.Guider, name);

    /// <summary>
    /// The guider registered as <paramref name="name"/> at CFG scale <paramref name="scale"/> (its other knobs as
    /// registered). A guider without a scale (<c>identity</c>) accepts only scale 1, which it is by definition.
    /// </summary>
    public IGuider Guider(string name, double scale)
    {
        if (!double.IsFinite(scale) || scale < 0) throw new ArgumentOutOfRangeException(nameof(scale), $"guidance scale {scale} must be finite and >= 0");
        return Guider(name) switch
        {
            IScalableGuider scalable => scalable.WithScale(scale),
            var fixedScale when scale == 1.0 => fixedScale,
            _ => throw new ArgumentException(
                $"guider '{name}' has no scale (it is the conditional prediction, scale 1); asked for scale {scale}; guiders with a scale: {string.Join(", ", All(ComponentKind.Guider).Where(r => r.Component is IScalableGuider).Select(r => r.Name))}"),
        };
    }
    public ILossWeighting LossWeighting(string name) => Get<ILossWeighting>(ComponentKind.LossWeighting, name);
    public ISigmaSampler SigmaSampler(string name) => Get<ISigmaSampler>(ComponentKind.SigmaSampler, name);

    /// <summary>Collects registrations made through <see cref="IComponentRegistrar"/> into a new snapshot.</summary>
    public sealed class Builder(ComponentRegistry start, string origin) : IComponentRegistrar
    {
        public ComponentRegistry Current { get; private set; } = start;

        public void Register(ComponentKind kind, string name, object component, string description) =>
            Current = Current.Add(new ComponentRegistration(kind, name, component, origin, description));
    }
}
