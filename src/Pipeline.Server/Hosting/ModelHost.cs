using Pipeline.Components;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using static TorchSharp.torch;

namespace Pipeline.Server.Hosting;

/// <summary>
/// The checkpoints the server knows and the one loaded. <see cref="Use"/> is called on the generation queue's worker only,
/// so a switch happens between requests: the old model is disposed after the request before it finished. Each load fits
/// a latent→RGB preview to the model's VAE (the published SDXL factors for the released VAE).
/// </summary>
public sealed class ModelHost : IDisposable
{
    readonly object _gate = new();
    readonly List<CheckpointEntry> _entries;
    readonly Device? _device;
    readonly ScalarType? _dtype;
    SdxlModel? _model, _refiner;
    CheckpointEntry _current;

    public ModelHost(IReadOnlyList<string> checkpoints, string? refiner, ComponentRegistry registry, Device? device = null, ScalarType? dtype = null)
    {
        var paths = checkpoints.Count > 0 ? checkpoints
            : new[] { EmbeddedModels.Base ?? throw new InvalidOperationException(EmbeddedModels.MissingMessage) };
        _entries = paths.Select(p =>
        {
            var config = SdxlModel.ReadConfig(p, registry);
            if (config.Kind != SdxlModelKind.Base) throw new ArgumentException($"{p} is an SDXL refiner; give it as the refiner, not as a checkpoint");
            return new CheckpointEntry(Path.GetFullPath(p), Path.GetFileNameWithoutExtension(p), config);
        }).ToList();
        if (refiner is not null && SdxlModel.ReadConfig(refiner, registry).Kind != SdxlModelKind.Refiner)
            throw new ArgumentException($"{refiner} is not an SDXL refiner model");
        RefinerPath = refiner is null ? null : Path.GetFullPath(refiner);
        _current = _entries[0];
        _device = device;
        _dtype = dtype;
    }

    public IReadOnlyList<CheckpointEntry> Checkpoints { get { lock (_gate) return _entries.ToList(); } }

    /// <summary>The checkpoint requests run on (loaded on first use).</summary>
    public CheckpointEntry Current { get { lock (_gate) return _current; } }

    public string? RefinerPath { get; }

    /// <summary>The latent preview of the loaded model (null before the first load).</summary>
    public LatentPreview? Preview { get; private set; }

    /// <summary>The checkpoint <paramref name="name"/> means, or null.</summary>
    public CheckpointEntry? Find(string name) { lock (_gate) return _entries.FirstOrDefault(e => e.Matches(name)); }

    /// <summary>Makes <paramref name="entry"/> current for later requests (loaded when a request next runs).</summary>
    public void Select(CheckpointEntry entry) { lock (_gate) _current = _entries.Single(e => e.Path == entry.Path); }

    /// <summary>The model of <paramref name="entry"/> (default: the current one), loaded now if another is loaded. Worker thread only.</summary>
    public SdxlModel Use(ComponentRegistry registry, CheckpointEntry? entry = null)
    {
        entry ??= Current;
        if (_model is not null && _model.Name == entry.ModelName && LoadedPath == entry.Path) return _model;
        _model?.Dispose();
        _model = null;
        var model = SdxlModel.Load(entry.Path, device: _device, dtype: _dtype ?? Runtime.ComputePrecision.Auto(entry.Config, _device).DType, registry: registry,
            vaeDType: _dtype is null ? Runtime.ComputePrecision.AutoVae(entry.Config, _device).DType : TorchSharp.torch.ScalarType.Float32);
        LoadedPath = entry.Path;
        Preview = LatentPreview.IsSdxlLatentSpace(model.Config.Vae) ? LatentPreview.Sdxl : LatentPreview.Fit(model.FirstStage);
        lock (_gate)
        {
            int i = _entries.FindIndex(e => e.Path == entry.Path);
            _entries[i] = _entries[i] with { Hash = model.Hash };
            if (_current.Path == entry.Path) _current = _entries[i];
        }
        return _model = model;
    }

    /// <summary>The refiner (loaded on first use). Worker thread only.</summary>
    public SdxlModel UseRefiner(ComponentRegistry registry) =>
        _refiner ??= SdxlModel.Load(RefinerPath ?? throw new InvalidOperationException("this server has no refiner"), device: _device,
            dtype: _dtype ?? Runtime.ComputePrecision.Auto(SdxlModel.ReadConfig(RefinerPath, registry), _device).DType, registry: registry);

    string? LoadedPath { get; set; }

    public void Dispose()
    {
        _model?.Dispose();
        _refiner?.Dispose();
        _model = _refiner = null;
    }
}
