using System.Globalization;
using Pipeline.Checkpoints;
using Pipeline.Models.Bundles;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Lora;

/// <summary>One LoRA'd layer: its kohya module name (<c>lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q</c>) and
/// the checkpoint-layout name of the weight it updates (<c>model.diffusion_model.input_blocks.4.1….to_q.weight</c>).</summary>
public sealed record LoraModuleInfo(string KohyaName, string ModulePath, string WeightName, long InFeatures, long OutFeatures);

/// <summary>
/// A set of <see cref="LoraLayer"/>s over the target Linear layers of an <see cref="SdxlModel"/>'s UNet. The base model
/// is not changed: <see cref="Attach"/> registers a forward hook on each target Linear (the UNet runs its layers through
/// <c>Module.call</c>, which runs hooks) that adds the layer's low-rank update to the Linear's output, and disposing the
/// attachment removes the hooks; the model's modules, parameters and state-dict names stay as they are, and without an
/// attachment its forward is the same code as before. <see cref="Save"/> writes kohya's file format.
/// </summary>
public sealed class LoraNetwork : nn.Module
{
    const string UnetModulePrefix = "diffusion_model.";
    readonly ModuleDict<LoraLayer> layers;
    readonly List<LoraModuleInfo> _modules;

    public IReadOnlyList<LoraModuleInfo> Modules => _modules;
    public int Rank { get; }
    public double Alpha { get; }

    LoraNetwork(List<LoraModuleInfo> modules, ModuleDict<LoraLayer> layers, int rank, double alpha) : base(nameof(LoraNetwork))
    {
        _modules = modules;
        this.layers = layers;
        Rank = rank;
        Alpha = alpha;
        RegisterComponents();
    }

    /// <summary>The layer of a kohya module name.</summary>
    public LoraLayer Layer(string kohyaName) => layers[kohyaName];

    /// <summary>The UNet Linear layers of <paramref name="model"/> that <paramref name="targets"/> selects, in module order.</summary>
    public static IReadOnlyList<(string Path, Linear Linear)> TargetLayers(SdxlModel model, LoraTargets targets) =>
        model.Network.named_modules()
            .Where(m => m.module is Linear && m.name.StartsWith(UnetModulePrefix, StringComparison.Ordinal)
                        && LoraTargetRules.Matches(m.name, targets))
            .Select(m => (m.name, (Linear)m.module))
            .ToList();

    /// <summary>
    /// New layers (down kaiming-uniform from <paramref name="seed"/>, up zeros) for every target of <paramref name="model"/>.
    /// Names and shapes only are read from the model.
    /// </summary>
    public static LoraNetwork Create(SdxlModel model, LoraTargets targets, int rank, double alpha, long seed)
    {
        ArgumentNullException.ThrowIfNull(model);
        var found = TargetLayers(model, targets);
        if (found.Count == 0) throw new ArgumentException($"{model.Config.Name}: no UNet Linear layer matches the LoRA targets {targets}");
        using var generator = new Generator((ulong)seed, CPU);
        var infos = new List<LoraModuleInfo>();
        var dict = new ModuleDict<LoraLayer>();
        foreach (var (path, linear) in found)
        {
            var shape = linear.weight!.shape;   // [out, in]
            var kohya = "lora_unet_" + Adapters.AdapterTargetIndex.Flatten(path[UnetModulePrefix.Length..]);
            infos.Add(new LoraModuleInfo(kohya, path, CheckpointLayout.UNetPrefix + path + ".weight", shape[1], shape[0]));
            dict.Add(kohya, new LoraLayer(kohya, shape[1], shape[0], rank, alpha, generator));
        }
        return new LoraNetwork(infos, dict, rank, alpha);
    }

    /// <summary>Adds every layer's update to its Linear's output until disposed (one attachment at a time is the caller's rule).</summary>
    public IDisposable Attach(SdxlModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var linears = model.Network.named_modules().Where(m => m.module is Linear).ToDictionary(m => m.name, m => (Linear)m.module);
        var removers = new List<Action>();
        try
        {
            foreach (var info in _modules)
            {
                if (!linears.TryGetValue(info.ModulePath, out var linear))
                    throw new ArgumentException($"{model.Config.Name} has no Linear '{info.ModulePath}' (LoRA module {info.KohyaName})");
                if (linear.weight!.shape[0] != info.OutFeatures || linear.weight.shape[1] != info.InFeatures)
                    throw new ArgumentException($"{info.ModulePath} is [{string.Join(", ", linear.weight.shape)}], LoRA module {info.KohyaName} expects [{info.OutFeatures}, {info.InFeatures}]");
                var layer = layers[info.KohyaName];
                var handle = linear.register_forward_hook((_, input, output) => output + layer.Delta(input));
                removers.Add(handle.remove);
            }
        }
        catch
        {
            foreach (var remove in removers) remove();
            throw;
        }
        return new Attachment(removers);
    }

    sealed class Attachment(List<Action> removers) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            foreach (var remove in removers) remove();
        }
    }

    /// <summary>
    /// The kohya tensors: per module <c>{name}.lora_down.weight</c> [r, in], <c>{name}.lora_up.weight</c> [out, r] and
    /// <c>{name}.alpha</c> (a 0-dim float32), in <paramref name="storage"/> (the alpha stays float32).
    /// </summary>
    public IEnumerable<KeyValuePair<string, Tensor>> KohyaTensors()
    {
        foreach (var info in _modules)
        {
            var layer = layers[info.KohyaName];
            yield return new(info.KohyaName + ".lora_down.weight", layer.Down.detach());
            yield return new(info.KohyaName + ".lora_up.weight", layer.Up.detach());
            yield return new(info.KohyaName + ".alpha", tensor((float)layer.Alpha));
        }
    }

    /// <summary>
    /// Writes the network as a kohya LoRA safetensors file (atomically), with kohya's <c>ss_network_*</c> metadata plus
    /// <paramref name="metadata"/>. Factors are stored in <paramref name="storage"/> (float32 or float16), alphas in float32.
    /// </summary>
    public void Save(string path, ScalarType storage = ScalarType.Float32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        if (storage is not (ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"LoRA storage must be float32, float16 or bfloat16, got {storage}");
        var meta = new Dictionary<string, string>
        {
            ["ss_network_module"] = "networks.lora",
            ["ss_network_dim"] = Rank.ToString(CultureInfo.InvariantCulture),
            ["ss_network_alpha"] = Alpha.ToString("R", CultureInfo.InvariantCulture),
            ["ss_base_model_version"] = "sdxl_base_v1-0",
        };
        if (metadata is not null) foreach (var kv in metadata) meta[kv.Key] = kv.Value;
        using var scope = NewDisposeScope();
        SafeTensorsWriter.Write(path, KohyaTensors().ToList(), meta, (name, t) => name.EndsWith(".alpha", StringComparison.Ordinal) ? ScalarType.Float32 : storage);
    }
}
