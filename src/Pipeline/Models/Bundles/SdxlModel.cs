using System.Security.Cryptography;
using Pipeline.Checkpoints;
using Pipeline.Conditioning;
using Pipeline.Diffusion.Denoising;
using Pipeline.Diffusion.Discretization;
using Pipeline.Models.Unet;
using Pipeline.Models.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Models.Bundles;

/// <summary>
/// A loaded SDXL-layout model: conditioner + UNet (in its wrapper) + VAE + the discrete denoiser with the config's
/// scaling (ε for SDXL), on one device.
/// The UNet and text encoders run in the compute dtype; the VAE always in float32 (the SDXL VAE overflows in fp16).
/// </summary>
public sealed class SdxlModel : IDisposable
{
    public SdxlModelConfig Config { get; }
    public GeneralConditioner Conditioner { get; }
    public OpenAIWrapper Network { get; }
    public AutoencoderKL FirstStage { get; }
    public DiscreteDenoiser Denoiser { get; }
    public Device Device { get; }
    public ScalarType ComputeDType { get; }

    /// <summary>Name shown in image metadata (file name or config name) and a short content hash, if loaded from a file.</summary>
    public string Name { get; }
    public string? Hash { get; }

    SdxlModel(SdxlModelConfig config, GeneralConditioner conditioner, OpenAIWrapper network, AutoencoderKL firstStage,
        Device device, ScalarType dtype, string name, string? hash)
    {
        Config = config;
        Conditioner = conditioner;
        Network = network;
        FirstStage = firstStage;
        Device = device;
        ComputeDType = dtype;
        Name = name;
        Hash = hash;
        Denoiser = new DiscreteDenoiser(config.Scaling ?? throw new ArgumentException($"model config '{config.Name}' has no scaling"), new LegacyDDPMDiscretization(NumTimesteps: config.NumTimesteps), config.NumTimesteps);
        conditioner.eval();
        network.eval();
        firstStage.eval();
    }

    /// <summary>A model with freshly initialised (random) weights: for benchmarks, tests and training from scratch.</summary>
    /// <param name="vaeDType">the VAE's compute dtype (float32 unless asked: bf16 decodes about twice as fast on CPUs with
    /// native bf16, 51.8 dB from the float32 decode on the embedded default)</param>
    public static SdxlModel Create(SdxlModelConfig config, Device? device = null, ScalarType dtype = ScalarType.Float32, ScalarType vaeDType = ScalarType.Float32)
    {
        device ??= CPU;
        CheckDType(dtype);
        CheckDType(vaeDType);
        var conditioner = new GeneralConditioner(config.Conditioner, device, dtype);
        var network = new OpenAIWrapper(new UNetModel(config.UNet, device, dtype));
        var vae = new AutoencoderKL(config.Vae, device, vaeDType);
        return new SdxlModel(config, conditioner, network, vae, device, dtype, config.Name, null);
    }

    /// <summary>
    /// The config a checkpoint would load with, read from its header alone (no weights are read): the config stored in
    /// its metadata (components resolved through <paramref name="registry"/>, default the built-ins), else SDXL base or
    /// refiner by its key layout. For checks before the heavy load.
    /// </summary>
    public static SdxlModelConfig ReadConfig(string path, Components.ComponentRegistry? registry = null)
    {
        using var file = SafeTensorsFile.Open(path);
        return ConfigOf(file, CheckpointLayout.Detect(file), registry);
    }

    static long _loadCount;

    /// <summary>How many times <see cref="Load"/> was called in this process (diagnostics: proves checks ran before any load).</summary>
    public static long LoadCount => Interlocked.Read(ref _loadCount);

    static SdxlModelConfig ConfigOf(SafeTensorsFile file, SdxlModelKind kind, Components.ComponentRegistry? registry) =>
        file.Metadata.TryGetValue(SdxlModelConfigJson.MetadataKey, out var json)
            ? SdxlModelConfigJson.Deserialize(json, registry)
            : kind == SdxlModelKind.Base
                ? (CheckpointLayout.UNetInputChannels(file) == SdxlModelConfig.SdxlInpaint.UNet.InChannels ? SdxlModelConfig.SdxlInpaint : SdxlModelConfig.SdxlBase)
                : SdxlModelConfig.SdxlRefiner;

    /// <summary>
    /// Loads a single-file checkpoint in sgm's key layout (e.g. <c>sd_xl_base_1.0.safetensors</c>) unchanged. Modules
    /// are built on the meta device and each weight is read once, straight into <paramref name="dtype"/> on
    /// <paramref name="device"/>. Strict: every missing, unexpected and mis-shaped key is listed. The config stored in the
    /// file names its components (the scaling); <paramref name="registry"/> resolves them (default: the built-ins).
    /// </summary>
    public static SdxlModel Load(string path, SdxlModelConfig? config = null, Device? device = null, ScalarType dtype = ScalarType.Float32,
        Components.ComponentRegistry? registry = null, ScalarType vaeDType = ScalarType.Float32)
    {
        Interlocked.Increment(ref _loadCount);
        device ??= CPU;
        CheckDType(dtype);
        CheckDType(vaeDType);
        using var file = SafeTensorsFile.Open(path);
        var kind = CheckpointLayout.Detect(file);
        config ??= ConfigOf(file, kind, registry);
        if (config.Kind != kind) throw new ArgumentException($"{path} holds an SDXL {kind.ToString().ToLowerInvariant()} model, but the config '{config.Name}' is a {config.Kind.ToString().ToLowerInvariant()}");
        var foreign = CheckpointLayout.ForeignKeys(file);
        if (foreign.Count > 0)
            throw new StateDictMismatchException(path, new StateDictMismatch(Array.Empty<string>(), foreign, Array.Empty<string>()));

        var conditioner = new GeneralConditioner(config.Conditioner, META, dtype);
        var network = new OpenAIWrapper(new UNetModel(config.UNet, META, dtype));
        var vae = new AutoencoderKL(config.Vae, META, vaeDType);
        try
        {
            StateDictLoader.Load(conditioner, file, new LoadOptions(CheckpointLayout.ConditionerPrefix, device, dtype));
            StateDictLoader.Load(network, file, new LoadOptions(CheckpointLayout.UNetPrefix, device, dtype));
            StateDictLoader.Load(vae, file, new LoadOptions(CheckpointLayout.VaePrefix, device, vaeDType));
        }
        catch
        {
            conditioner.Dispose();
            network.Dispose();
            vae.Dispose();
            throw;
        }
        return new SdxlModel(config, conditioner, network, vae, device, dtype, Path.GetFileNameWithoutExtension(path), ShortHash(path));
    }

    /// <summary>
    /// Writes the model in the single-file layout it loads from (atomically), in <paramref name="storage"/> dtype, with its
    /// config (components by their names in <paramref name="registry"/>, default the built-ins).
    /// </summary>
    public void Save(string path, ScalarType storage = ScalarType.Float16, IReadOnlyDictionary<string, string>? metadata = null,
        Components.ComponentRegistry? registry = null)
    {
        var tensors = NamedTensors();
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
        {
            [SdxlModelConfigJson.MetadataKey] = SdxlModelConfigJson.Serialize(Config, registry),
        };
        SafeTensorsWriter.Write(path, tensors, meta, (_, t) => is_floating_point(t) ? storage : t.dtype);
    }

    /// <summary>
    /// Every parameter and buffer under its name in the single-file checkpoint layout (<c>conditioner.…</c>,
    /// <c>model.diffusion_model.…</c>, <c>first_stage_model.…</c>), in module order. The tensors are the model's own
    /// (not copies): the caller must not dispose them.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, Tensor>> NamedTensors()
    {
        var tensors = new List<KeyValuePair<string, Tensor>>();
        void Add(nn.Module module, string prefix)
        {
            foreach (var (name, t) in module.state_dict()) tensors.Add(new(prefix + name, t));
        }
        Add(Conditioner, CheckpointLayout.ConditionerPrefix);
        Add(Network, CheckpointLayout.UNetPrefix);
        Add(FirstStage, CheckpointLayout.VaePrefix);
        return tensors;
    }

    static void CheckDType(ScalarType dtype)
    {
        if (!LoadOptions.ComputeDTypes.Contains(dtype))
            throw new ArgumentException($"compute dtype {dtype} is not supported; valid: {string.Join(", ", LoadOptions.ComputeDTypes)}");
    }

    /// <summary>First 10 hex digits of the SHA-256 of the file's header (cheap, identifies a checkpoint's layout and offsets).</summary>
    static string ShortHash(string path)
    {
        using var fs = File.OpenRead(path);
        var prefix = new byte[8];
        fs.ReadExactly(prefix);
        var header = new byte[(int)Math.Min(BitConverter.ToUInt64(prefix), (ulong)SafeTensorsHeader.MaxHeaderBytes)];
        fs.ReadExactly(header);
        return Convert.ToHexString(SHA256.HashData(header))[..10].ToLowerInvariant();
    }

    Quantization.Int8Linears? _int8;

    /// <summary>Whether the UNet's Linear layers run in int8 (<see cref="QuantizeLinears"/>).</summary>
    public bool Int8Linears => _int8 is not null;

    /// <summary>
    /// Runs the UNet's Linear layers (about 70 % of its FLOPs) with int8 weights through fbgemm until the returned handle is
    /// disposed (<see cref="Quantization.Int8Linears"/>; CPU only). Measured on the golden tiny UNet: 0.036 scaled error
    /// against sgm's float32 output (sgm's own bf16 autocast: 0.019); SDXL UNet step on one AVX-512 VNNI core: bf16 18.5 s,
    /// bf16 + int8 Linear layers 14.4 s.
    /// </summary>
    public IDisposable QuantizeLinears()
    {
        if (_int8 is not null) throw new InvalidOperationException("the UNet's Linear layers already run in int8");
        if (Device.type != TorchSharp.DeviceType.CPU) throw new InvalidOperationException("int8 Linear layers run on the CPU only (fbgemm)");
        _int8 = Quantization.Int8Linears.Apply(Network.DiffusionModel);
        return new Release(this);
    }

    sealed class Release(SdxlModel model) : IDisposable
    {
        public void Dispose()
        {
            model._int8?.Dispose();
            model._int8 = null;
        }
    }

    public void Dispose()
    {
        _int8?.Dispose();
        _int8 = null;
        Conditioner.Dispose();
        Network.Dispose();
        FirstStage.Dispose();
    }
}
