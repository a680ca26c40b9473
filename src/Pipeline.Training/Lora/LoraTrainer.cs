using System.Globalization;
using Pipeline.Models.Bundles;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Lora;

/// <summary>
/// Trains a <see cref="LoraNetwork"/> on a frozen <see cref="SdxlModel"/> with the base trainer's loop and diffusion
/// objective (<see cref="DiffusionObjective"/>: same conditioning path, sigma sampling and loss). While the trainer lives
/// the network is attached to the model (hooks) and every model parameter has requires_grad off; <see cref="Dispose"/>
/// detaches it and restores the flags. The training state holds the LoRA weights, AdamW and the generators only, so a
/// resume needs the same base model (and thread count) to be bit-exact. <see cref="Save"/> writes kohya's format.
/// </summary>
public sealed class LoraTrainer : Trainer
{
    readonly DiffusionObjective _objective;
    readonly IDisposable _attachment;
    readonly List<(Parameter Parameter, bool RequiresGrad)> _frozen = new();

    public SdxlModel Model { get; }
    public LoraTrainingSettings Settings { get; }
    public LoraNetwork Network { get; }

    public LoraTrainer(SdxlModel model, ITrainingData data, LoraTrainingSettings settings) : base(settings, data)
    {
        Model = model ?? throw new ArgumentNullException(nameof(model));
        Settings = settings;
        if (model.ComputeDType != ScalarType.Float32) throw new ArgumentException($"LoRA training needs a float32 model, got {model.ComputeDType}");
        Network = LoraNetwork.Create(model, settings.Targets, settings.Rank, settings.Alpha, settings.Seed, settings.TextEncoders);
        foreach (var p in model.Conditioner.parameters().Concat(model.Network.parameters()).Concat(model.FirstStage.parameters()))
        {
            _frozen.Add((p, p.requires_grad));
            p.requires_grad = false;
        }
        _attachment = Network.Attach(model);
        Initialize(Network.named_parameters().Select(np => ("lora." + np.name, np.parameter)).ToList());
        _objective = new DiffusionObjective(model, settings.Objective, graphThroughFrozen: settings.TextEncoders);
    }

    protected override string Kind => "lora";

    protected override IEnumerable<(string Prefix, nn.Module Module)> StateModules => new (string, nn.Module)[] { ("lora.", Network) };

    protected override IEnumerable<(string Name, Func<Tensor> Get, Action<Tensor> Set)> Generators => _objective.Generators;

    protected override IEnumerable<KeyValuePair<string, string>> ExtraMetadata() => new[]
    {
        new KeyValuePair<string, string>("pipeline.lora.base_model", Model.Config.Name),
    };

    protected override Tensor Loss(TrainingBatch batch) => _objective.Loss(batch);

    /// <summary>Writes the LoRA in kohya's format (see <see cref="LoraNetwork.Save"/>), recording the step and settings.</summary>
    public void Save(string path, ScalarType storage = ScalarType.Float32, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>
        {
            ["ss_steps"] = Step.ToString(CultureInfo.InvariantCulture),
            ["ss_learning_rate"] = Settings.LearningRate.ToString("R", CultureInfo.InvariantCulture),
            ["ss_seed"] = Settings.Seed.ToString(CultureInfo.InvariantCulture),
            ["pipeline.lora.base_model"] = Model.Config.Name,
            ["pipeline.lora.targets"] = Settings.Targets.ToString(),
            ["pipeline.lora.text_encoders"] = Settings.TextEncoders ? "true" : "false",
        };
        if (metadata is not null) foreach (var kv in metadata) meta[kv.Key] = kv.Value;
        Network.Save(path, storage, meta);
    }

    public override void Dispose()
    {
        base.Dispose();
        _attachment.Dispose();
        foreach (var (p, flag) in _frozen) p.requires_grad = flag;
        _objective.Dispose();
        Network.Dispose();
    }
}
