using Pipeline.Conditioning;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Training;
using Pipeline.Models.Bundles;
using Pipeline.Tokenize;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// sgm's diffusion training step on an <see cref="SdxlModel"/> (base or refiner): images → frozen VAE posterior sample
/// × scale factor; captions → tokens, with the batch's original sizes, crops, target size and aesthetic scores → conditioner
/// rows → conditioning (UCG dropout of the text embedders from a seeded generator); <see cref="StandardDiffusionLoss"/>
/// (the settings' sigma sampler and loss weighting, by default DiscreteSampling over the model's LegacyDDPM table in
/// [MinIdx, MaxIdx) and EpsWeighting; L2, offset noise) through
/// <c>model.Denoiser</c> and <c>model.Network</c>; mean loss → backward → clip → AdamW on the UNet and the trainable
/// text encoders → EMA. The VAE is frozen (its parameters stop requiring grad). Draws: one seeded generator for
/// posterior noise, sigmas, noise and offset noise (in that order), another for UCG dropout.
/// </summary>
public sealed class DiffusionTrainer : Trainer
{
    readonly SeededRandom _random;
    readonly Generator _ucg;
    readonly StandardDiffusionLoss _loss;
    readonly Dictionary<string, (int[] ClipL, int[] OpenClip)> _tokens = new();

    public SdxlModel Model { get; }
    public DiffusionTrainingSettings Settings { get; }

    public DiffusionTrainer(SdxlModel model, ITrainingData data, DiffusionTrainingSettings settings) : base(settings, data)
    {
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
        _random = new SeededRandom(settings.Seed);
        _ucg = new Generator((ulong)(settings.Seed + 1), CPU);
        _loss = new StandardDiffusionLoss(settings.SigmaSampler ?? ModelNoiseScales(model, settings),
            settings.LossWeighting, DiffusionLossType.L2, settings.OffsetNoiseLevel);
    }

    /// <summary>sgm's default: uniform over [MinIdx, MaxIdx) of the model's own discrete noise scales.</summary>
    static DiscreteSampling ModelNoiseScales(SdxlModel model, DiffusionTrainingSettings settings) =>
        new(new LegacyDDPMDiscretization(NumTimesteps: model.Config.NumTimesteps), model.Config.NumTimesteps, settings.MinIdx, settings.MaxIdx);

    /// <summary>The loss this trainer minimises, with its sigma sampler and weighting.</summary>
    public StandardDiffusionLoss LossFunction => _loss;

    protected override string Kind => "diffusion";

    protected override IEnumerable<(string Prefix, nn.Module Module)> StateModules => new (string, nn.Module)[]
    {
        (CheckpointLayout.ConditionerPrefix, Model.Conditioner),
        (CheckpointLayout.UNetPrefix, Model.Network),
        (CheckpointLayout.VaePrefix, Model.FirstStage),
    };

    protected override IEnumerable<(string Name, Func<Tensor> Get, Action<Tensor> Set)> Generators => new (string, Func<Tensor>, Action<Tensor>)[]
    {
        ("loss", _random.GetState, _random.SetState),
        ("ucg", () => _ucg.get_state(), s => _ucg.set_state(s)),
    };

    protected override IEnumerable<KeyValuePair<string, string>> ExtraMetadata() =>
        new[] { new KeyValuePair<string, string>(SdxlModelConfigJson.MetadataKey, SdxlModelConfigJson.Serialize(Model.Config)) };

    /// <summary>The conditioner rows of a batch (tokenized captions + its size/crop/target/aesthetic values).</summary>
    public IReadOnlyList<ConditionerInput> Rows(TrainingBatch batch)
    {
        var rows = new List<ConditionerInput>(batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            var caption = batch.Captions[i];
            if (!_tokens.TryGetValue(caption, out var ids))
            {
                var t = TokenizeStage.Run(new[] { caption });
                ids = (t.ClipL[0].Ids.ToArray(), t.OpenClip[0].Ids.ToArray());
                if (_tokens.Count < 100_000) _tokens[caption] = ids;
            }
            rows.Add(new ConditionerInput(ids.ClipL, ids.OpenClip, batch.OriginalSizes[i], batch.Crops[i], batch.TargetSize, batch.AestheticScores[i]));
        }
        return rows;
    }

    protected override Tensor Loss(TrainingBatch batch)
    {
        CheckBatch(batch);
        Tensor latents;
        using (no_grad())
        {
            using var posterior = Model.FirstStage.Encode(batch.Images.to(Model.Device));
            var z = Settings.SampleLatents ? posterior.Sample(_random.Normal(posterior.Mean.shape, CPU)) : posterior.Mode();
            latents = (z * Model.FirstStage.Config.ScaleFactor).to(Model.ComputeDType);
        }
        var conditioning = Model.Conditioner.Forward(Rows(batch), null, Settings.UcgDropout ? _ucg : null);
        return _loss.PerSample(Model.Denoiser, Model.Network, latents, conditioning, _random).mean();
    }

    static void CheckBatch(TrainingBatch batch)
    {
        int n = batch.Count;
        if (batch.Captions.Count != n || batch.OriginalSizes.Count != n || batch.Crops.Count != n || batch.AestheticScores.Count != n)
            throw new ArgumentException($"training batch of {n} images has {batch.Captions.Count} captions, {batch.OriginalSizes.Count} original sizes, {batch.Crops.Count} crops and {batch.AestheticScores.Count} aesthetic scores");
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
        _random.Dispose();
        _ucg.Dispose();
    }
}
