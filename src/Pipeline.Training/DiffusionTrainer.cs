using Pipeline.Conditioning;
using Pipeline.Diffusion.Training;
using Pipeline.Models.Bundles;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// sgm's diffusion training step on an <see cref="SdxlModel"/> (base or refiner): the <see cref="DiffusionObjective"/>
/// (frozen VAE latents, conditioning with UCG dropout, <see cref="StandardDiffusionLoss"/> with the settings' sigma
/// sampler and loss weighting, by default DiscreteSampling over the model's LegacyDDPM table in [MinIdx, MaxIdx) and
/// EpsWeighting; L2, offset noise) → backward → clip → AdamW on the UNet and the trainable text encoders → EMA. The VAE
/// is frozen (its parameters stop requiring grad).
/// </summary>
public sealed class DiffusionTrainer : Trainer
{
    readonly DiffusionObjective _objective;

    public SdxlModel Model { get; }
    public DiffusionTrainingSettings Settings { get; }

    /// <param name="prefetchStart">with <see cref="DiffusionTrainingSettings.PrefetchLatents"/>: prefetching waits for this
    /// task to end (e.g. other work that holds the second core); null: it starts with the training.</param>
    public DiffusionTrainer(SdxlModel model, ITrainingData data, DiffusionTrainingSettings settings, Task? prefetchStart = null) : base(settings, data)
    {
        _prefetchStart = prefetchStart;
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Settings = settings;
        if (model.ComputeDType != ScalarType.Float32) throw new ArgumentException($"training needs a float32 model, got {model.ComputeDType}");
        foreach (var p in model.FirstStage.parameters()) p.requires_grad = false;   // sgm freezes the first stage
        var trainable = new List<(string, Parameter)>();
        foreach (var (name, p) in model.Network.named_parameters())
            if (p.requires_grad) trainable.Add((CheckpointLayout.UNetPrefix + name, p));
        foreach (var (name, p) in model.Conditioner.named_parameters())
            if (p.requires_grad) trainable.Add((CheckpointLayout.ConditionerPrefix + name, p));
        Initialize(trainable);
        _objective = new DiffusionObjective(model, settings);
    }

    /// <summary>The VAE posterior cache (<see cref="DiffusionTrainingSettings.LatentCacheSize"/> > 0), else null.</summary>
    public LatentCache? LatentCache => _objective.LatentCache;

    /// <summary>The loss this trainer minimises, with its sigma sampler and weighting.</summary>
    public StandardDiffusionLoss LossFunction => _objective.LossFunction;

    protected override string Kind => "diffusion";

    protected override IEnumerable<(string Prefix, nn.Module Module)> StateModules => new (string, nn.Module)[]
    {
        (CheckpointLayout.ConditionerPrefix, Model.Conditioner),
        (CheckpointLayout.UNetPrefix, Model.Network),
        (CheckpointLayout.VaePrefix, Model.FirstStage),
    };

    protected override IEnumerable<(string Name, Func<Tensor> Get, Action<Tensor> Set)> Generators => _objective.Generators;

    protected override IEnumerable<KeyValuePair<string, string>> ExtraMetadata() =>
        new[] { new KeyValuePair<string, string>(SdxlModelConfigJson.MetadataKey, SdxlModelConfigJson.Serialize(Model.Config)) };

    /// <summary>The conditioner rows of a batch (tokenized captions + its size/crop/target/aesthetic values).</summary>
    public IReadOnlyList<ConditionerInput> Rows(TrainingBatch batch) => _objective.Rows(batch);

    protected override Tensor Loss(TrainingBatch batch)
    {
        _prefetcher?.ThrowIfFailed();
        return _objective.Loss(batch);
    }

    LatentPrefetcher? _prefetcher;
    readonly Task? _prefetchStart;

    /// <summary>With <see cref="DiffusionTrainingSettings.PrefetchLatents"/>: a prefetching thread for this call's batches.</summary>
    protected override IDisposable? BeginTraining(long from, long to)
    {
        if (!Settings.PrefetchLatents) return null;
        var prefetcher = _objective.Prefetch(Data, from, to, _prefetchStart);
        _prefetcher = prefetcher;
        return new Ending(() => { _prefetcher = null; prefetcher.Dispose(); });
    }

    sealed class Ending(Action end) : IDisposable
    {
        public void Dispose() => end();
    }

    /// <summary>
    /// Writes <paramref name="modelPath"/> (the sgm single-file layout with the EMA weights, loadable by
    /// <see cref="SdxlModel.Load"/>) and, when given, <paramref name="statePath"/> (the training state for an exact resume).
    /// Both atomically.
    /// </summary>
    public void SaveCheckpoint(string modelPath, string? statePath = null, ScalarType storage = ScalarType.Float16)
    {
        using (UseEmaWeights())
            Model.Save(modelPath, storage, new Dictionary<string, string> { ["pipeline.training.step"] = Step.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        if (statePath is not null) SaveState(statePath);
    }

    public override void Dispose()
    {
        base.Dispose();
        _objective.Dispose();
    }
}
