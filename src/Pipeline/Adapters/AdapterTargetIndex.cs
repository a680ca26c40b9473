using Pipeline.Conditioning;
using Pipeline.Models.Bundles;
using static TorchSharp.torch;

namespace Pipeline.Adapters;

/// <summary>
/// Every module an adapter can name in an SDXL-layout model, under the names adapter files use, flattened the way
/// kohya flattens them (dots → underscores): the UNet by sgm names (kohya's SDXL UNet uses them) and by diffusers names,
/// text encoder 1 by its Hugging Face CLIP names, text encoder 2 by Hugging Face names mapped onto open_clip
/// (<see cref="OpenClipHfNames"/>). Built from names and shapes only, so a model on the meta device serves.
/// </summary>
public sealed class AdapterTargetIndex
{
    const string UnetPrefix = CheckpointLayout.UNetPrefix + "diffusion_model.";

    readonly Dictionary<(AdapterComponent, string), ModuleTargets> _modules;

    /// <summary>The model config the index was built for (named in messages).</summary>
    public string ConfigName { get; }

    /// <summary>The components the model has (the refiner has no text encoder 1).</summary>
    public IReadOnlySet<AdapterComponent> Components { get; }

    /// <summary>How many (component, flattened name) entries the index holds.</summary>
    public int Count => _modules.Count;

    AdapterTargetIndex(string configName, Dictionary<(AdapterComponent, string), ModuleTargets> modules, IReadOnlySet<AdapterComponent> components)
    {
        ConfigName = configName;
        _modules = modules;
        Components = components;
    }

    /// <summary>kohya's flattening of a module path: <c>a.b.0.c</c> → <c>a_b_0_c</c>.</summary>
    public static string Flatten(string modulePath) => modulePath.Replace('.', '_');

    /// <summary>The module named <paramref name="flatName"/> (flattened, see <see cref="Flatten"/>) of <paramref name="component"/>, or null.</summary>
    public ModuleTargets? Find(AdapterComponent component, string flatName) =>
        _modules.TryGetValue((component, flatName), out var m) ? m : null;

    /// <summary>Every entry: component, flattened name, targets.</summary>
    public IEnumerable<(AdapterComponent Component, string FlatName, ModuleTargets Targets)> Entries =>
        _modules.Select(kv => (kv.Key.Item1, kv.Key.Item2, kv.Value));

    /// <summary>The index of a loaded (or meta-device) model.</summary>
    public static AdapterTargetIndex For(SdxlModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Build(model.Config, model.NamedTensors().Select(kv => new KeyValuePair<string, long[]>(kv.Key, kv.Value.shape)));
    }

    /// <summary>The index of <paramref name="config"/>'s model, built on the meta device (no weights are allocated).</summary>
    public static AdapterTargetIndex For(SdxlModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        // The scope also takes the temporaries that building modules leaves behind (the model keeps none of it).
        using var scope = NewDisposeScope();
        using var model = SdxlModel.Create(config, META);
        return For(model);
    }

    /// <summary>The index of a model of <paramref name="config"/> holding <paramref name="tensors"/> (checkpoint-layout name → shape).</summary>
    public static AdapterTargetIndex Build(SdxlModelConfig config, IEnumerable<KeyValuePair<string, long[]>> tensors)
    {
        var shapes = tensors.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
        var modules = new Dictionary<(AdapterComponent, string), ModuleTargets>();
        var components = new HashSet<AdapterComponent>();

        void Add(AdapterComponent component, string path, ModuleTargets targets)
        {
            components.Add(component);
            var key = (component, Flatten(path));
            if (modules.TryGetValue(key, out var existing) && existing != targets)
                throw new InvalidOperationException($"{config.Name}: the {component.ShortName()} modules '{path}' and '{existing.Weight}' flatten to the same name '{key.Item2}'");
            modules[key] = targets;
        }

        // UNet: sgm names and diffusers names.
        var blocks = DiffusersUnetNames.Blocks(config.UNet);
        foreach (var (path, targets) in ModulesUnder(shapes, UnetPrefix, AdapterComponent.Unet))
        {
            Add(AdapterComponent.Unet, path, targets);
            if (DiffusersUnetNames.ToDiffusers(blocks, path) is { } diffusers) Add(AdapterComponent.Unet, diffusers, targets);
        }

        var embedders = config.Conditioner.Embedders;
        int clip = IndexOf<FrozenCLIPEmbedderConfig>(embedders);
        if (clip >= 0)
            foreach (var (path, targets) in ModulesUnder(shapes, $"{CheckpointLayout.ConditionerPrefix}embedders.{clip}.transformer.", AdapterComponent.TextEncoder1))
                Add(AdapterComponent.TextEncoder1, path, targets);

        int openClip = IndexOf<FrozenOpenCLIPEmbedder2Config>(embedders);
        if (openClip >= 0)
        {
            var prefix = $"{CheckpointLayout.ConditionerPrefix}embedders.{openClip}.model.";
            var relative = shapes.Where(kv => kv.Key.StartsWith(prefix, StringComparison.Ordinal))
                .ToDictionary(kv => kv.Key[prefix.Length..], kv => kv.Value, StringComparer.Ordinal);
            foreach (var (hf, targets) in OpenClipHfNames.Modules(prefix, relative))
                Add(AdapterComponent.TextEncoder2, hf, targets);
        }
        return new AdapterTargetIndex(config.Name, modules, components);
    }

    static int IndexOf<T>(IReadOnlyList<EmbedderConfig> embedders)
    {
        for (int i = 0; i < embedders.Count; i++)
            if (embedders[i] is T) return i;
        return -1;
    }

    /// <summary>Every module under <paramref name="prefix"/> that owns a <c>weight</c>: its path relative to the prefix and its targets.</summary>
    static IEnumerable<(string Path, ModuleTargets Targets)> ModulesUnder(IReadOnlyDictionary<string, long[]> shapes, string prefix, AdapterComponent component)
    {
        foreach (var (name, shape) in shapes.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || !name.EndsWith(".weight", StringComparison.Ordinal)) continue;
            var module = name[..^".weight".Length];
            var bias = module + ".bias";
            yield return (module[prefix.Length..], new ModuleTargets(
                new AdapterTarget(component, name, shape),
                shapes.TryGetValue(bias, out var b) ? new AdapterTarget(component, bias, b) : null));
        }
    }
}
