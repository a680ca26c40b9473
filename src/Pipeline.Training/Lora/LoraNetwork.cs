using System.Globalization;
using System.Text.RegularExpressions;
using Pipeline.Adapters;
using Pipeline.Checkpoints;
using Pipeline.Models.Bundles;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Lora;

/// <summary>One LoRA'd layer: its kohya module name (<c>lora_unet_input_blocks_4_1_transformer_blocks_0_attn1_to_q</c>,
/// <c>lora_te2_text_model_encoder_layers_0_self_attn_q_proj</c>) and the weight it updates (<see cref="Target"/>: the
/// checkpoint-layout name, e.g. <c>model.diffusion_model.input_blocks.4.1….to_q.weight</c>, and for open_clip's fused
/// q/k/v the rows of <c>in_proj_weight</c>).</summary>
public sealed record LoraModuleInfo(string KohyaName, AdapterTarget Target, long InFeatures, long OutFeatures)
{
    /// <summary>The checkpoint-layout name of the updated weight.</summary>
    public string WeightName => Target.Parameter;

    public AdapterComponent Component => Target.Component;
}

/// <summary>
/// A set of <see cref="LoraLayer"/>s over the target Linear layers of an <see cref="SdxlModel"/>'s UNet and, optionally,
/// of its text encoders (kohya's targets there: <c>self_attn.q/k/v/out_proj</c> and <c>mlp.fc1/fc2</c> of every layer;
/// open_clip's fused q/k/v get one layer each on their slice of <c>in_proj_weight</c>). The base model is not changed:
/// <see cref="Attach"/> registers a forward hook at each target's <see cref="HookPoint"/> (the UNet and the text encoders
/// run these modules through <c>Module.call</c>, which runs hooks) that adds the layer's low-rank update to the output, and
/// disposing the attachment removes the hooks; the model's modules, parameters and state-dict names stay as they are, and
/// without an attachment its forward is the same code as before. <see cref="Save"/> writes kohya's file format.
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

    static readonly Regex TextEncoderModule = new(@"^text_model_encoder_layers_(\d+)_(self_attn_q_proj|self_attn_k_proj|self_attn_v_proj|self_attn_out_proj|mlp_fc1|mlp_fc2)$", RegexOptions.CultureInvariant);
    static readonly string[] TextEncoderOrder = ["self_attn_q_proj", "self_attn_k_proj", "self_attn_v_proj", "self_attn_out_proj", "mlp_fc1", "mlp_fc2"];

    /// <summary>The text-encoder modules kohya trains (attention q/k/v/out with <see cref="LoraTargets.Attention"/>, MLP
    /// fc1/fc2 with <see cref="LoraTargets.FeedForward"/>), by HF name, in (encoder, layer, module) order; layers the
    /// conditioning does not read (CLIP-L's last one when SDXL takes hidden layer 11) are left out: they get no gradient.</summary>
    public static IReadOnlyList<(string KohyaName, AdapterTarget Target)> TextEncoderTargets(SdxlModel model, LoraTargets targets)
    {
        var points = HookPoints.Of(model);
        int clipLayersUsed = model.Config.Conditioner.Embedders.OfType<Pipeline.Conditioning.FrozenCLIPEmbedderConfig>().FirstOrDefault()?.LayersUsed ?? 0;
        return AdapterTargetIndex.For(model).Entries
            .Where(e => e.Component.IsTextEncoder())
            .Select(e => (e.Component, e.FlatName, e.Targets.Weight, Match: TextEncoderModule.Match(e.FlatName)))
            .Where(e => e.Match.Success && points.Find(e.Weight) is not null
                        && (e.Component != AdapterComponent.TextEncoder1 || int.Parse(e.Match.Groups[1].Value, CultureInfo.InvariantCulture) < clipLayersUsed)
                        && (e.Match.Groups[2].Value.StartsWith("mlp", StringComparison.Ordinal) ? targets.HasFlag(LoraTargets.FeedForward) : targets.HasFlag(LoraTargets.Attention)))
            .OrderBy(e => e.Component)
            .ThenBy(e => int.Parse(e.Match.Groups[1].Value, CultureInfo.InvariantCulture))
            .ThenBy(e => Array.IndexOf(TextEncoderOrder, e.Match.Groups[2].Value))
            .Select(e => ($"lora_{e.Component.ShortName()}_{e.FlatName}", e.Weight))
            .ToList();
    }

    /// <summary>
    /// New layers (down kaiming-uniform from <paramref name="seed"/>, up zeros) for every target of <paramref name="model"/>:
    /// the UNet's first, then (with <paramref name="textEncoders"/>) text encoder 1's and 2's. Names and shapes only are read
    /// from the model.
    /// </summary>
    public static LoraNetwork Create(SdxlModel model, LoraTargets targets, int rank, double alpha, long seed, bool textEncoders = false)
    {
        ArgumentNullException.ThrowIfNull(model);
        var found = TargetLayers(model, targets);
        if (found.Count == 0) throw new ArgumentException($"{model.Config.Name}: no UNet Linear layer matches the LoRA targets {targets}");
        var all = found.Select(f => ("lora_unet_" + AdapterTargetIndex.Flatten(f.Path[UnetModulePrefix.Length..]),
                new AdapterTarget(AdapterComponent.Unet, CheckpointLayout.UNetPrefix + f.Path + ".weight", f.Linear.weight!.shape)))
            .ToList();
        if (textEncoders)
        {
            var te = TextEncoderTargets(model, targets);
            if (te.Count == 0) throw new ArgumentException($"{model.Config.Name}: no text-encoder layer matches the LoRA targets {targets}");
            all.AddRange(te);
        }
        using var generator = new Generator((ulong)seed, CPU);
        var infos = new List<LoraModuleInfo>();
        var dict = new ModuleDict<LoraLayer>();
        foreach (var (kohya, target) in all)
        {
            var shape = target.DeltaShape;   // [out, in]
            infos.Add(new LoraModuleInfo(kohya, target, shape[1], shape[0]));
            dict.Add(kohya, new LoraLayer(kohya, shape[1], shape[0], rank, alpha, generator));
        }
        return new LoraNetwork(infos, dict, rank, alpha);
    }

    /// <summary>Adds every layer's update to its module's output until disposed (one attachment at a time is the caller's rule).</summary>
    public IDisposable Attach(SdxlModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var points = HookPoints.Of(model);
        var removers = new List<Action>();
        try
        {
            foreach (var info in _modules)
            {
                var point = points.Find(info.Target)
                    ?? throw new ArgumentException($"{model.Config.Name} has no Linear layer for '{info.Target}' (LoRA module {info.KohyaName})");
                if (point.OutFeatures != info.OutFeatures || point.InFeatures != info.InFeatures)
                    throw new ArgumentException($"{info.Target} is [{point.OutFeatures}, {point.InFeatures}], LoRA module {info.KohyaName} expects [{info.OutFeatures}, {info.InFeatures}]");
                var layer = layers[info.KohyaName];
                var handle = point.Module.register_forward_hook((_, input, output) => point.Add(output, layer.Delta(input)));
                removers.Add(handle.remove);
            }
        }
        catch
        {
            foreach (var remove in removers) remove();
            throw;
        }
        return new HookRemovers(removers);
    }

    /// <summary>
    /// The kohya tensors: per module <c>{name}.lora_down.weight</c> [r, in], <c>{name}.lora_up.weight</c> [out, r] and
    /// <c>{name}.alpha</c> (a 0-dim float32), as trained (<see cref="Save"/> converts all but the alpha to its storage type).
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
