using System.Reflection;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Checkpoints;

/// <summary>
/// Finds and replaces the tensors of a module tree by their state-dict names. Replacement uses the owning
/// module's public settable property of the same name, the convention TorchSharp's own modules follow
/// (<c>Linear.weight</c>, <c>LayerNorm.bias</c>, <c>Embedding.weight</c>, <c>Conv2d.weight</c>) and its
/// <c>Module.to</c> relies on; it is what lets a model built on the meta device be materialised in place.
/// </summary>
public static class ModuleState
{
    /// <summary>Every module of the tree by its dotted path ("" for the root).</summary>
    public static IReadOnlyDictionary<string, nn.Module> Modules(nn.Module root)
    {
        var into = new Dictionary<string, nn.Module>(StringComparer.Ordinal);
        Walk(root, "", into);
        return into;
    }

    static void Walk(nn.Module module, string path, Dictionary<string, nn.Module> into)
    {
        into[path] = module;
        foreach (var (name, child) in module.named_children())
            Walk(child, path.Length == 0 ? name : $"{path}.{name}", into);
    }

    /// <summary>Splits "a.b.weight" into the owner path "a.b" and the local name "weight".</summary>
    public static (string Owner, string Local) Split(string key)
    {
        int dot = key.LastIndexOf('.');
        return dot < 0 ? ("", key) : (key[..dot], key[(dot + 1)..]);
    }

    /// <summary>Replaces the tensor <paramref name="key"/> of <paramref name="modules"/> with <paramref name="value"/>.</summary>
    public static void Replace(IReadOnlyDictionary<string, nn.Module> modules, string key, Tensor value)
    {
        var (ownerPath, local) = Split(key);
        if (!modules.TryGetValue(ownerPath, out var owner))
            throw new InvalidOperationException($"'{key}': no module at '{ownerPath}'");
        var property = owner.GetType().GetProperty(local, BindingFlags.Public | BindingFlags.Instance);
        if (property is not { CanWrite: true } || !property.PropertyType.IsInstanceOfType(value))
            throw new NotSupportedException(
                $"'{key}': {owner.GetType().Name} has no public settable {value.GetType().Name} property '{local}', so this tensor " +
                "cannot be replaced; give the module such a property (as TorchSharp's Linear.weight) to build it on the meta device");
        property.SetValue(owner, value);
    }

    /// <summary>Names of parameters and buffers (persistent or not) still on the meta device.</summary>
    public static IReadOnlyList<string> OnMeta(nn.Module root) =>
        root.named_parameters().Select(p => (p.name, t: (Tensor)p.parameter))
            .Concat(root.named_buffers(include_nonpersistent: true).Select(b => (b.name, t: b.buffer)))
            .Where(e => e.t.device.type == DeviceType.META).Select(e => e.name).ToList();
}
