using System.Diagnostics;
using System.Globalization;
using Pipeline.Checkpoints;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// The loop every trainer shares: loss → backward → clip → AdamW → EMA, step by step over a deterministic data
/// source (batch i = data.Batch(i)), and a training-state file that makes resume bit-exact: every weight of the
/// trained modules (raw, float32), the AdamW state, the EMA shadow, the step and the random generators' states.
/// </summary>
public abstract class Trainer : IDisposable
{
    const string KindKey = "pipeline.training.kind";
    const string StepKey = "pipeline.training.step";
    const string OptimStepKey = "pipeline.training.adamw_step";
    const string EmaUpdatesKey = "pipeline.training.ema_updates";
    const string SecondOptimStepKey = "pipeline.training.second_adamw_step";

    readonly TrainingSettings _settings;
    readonly LearningRateSchedule _schedule;

    protected Trainer(TrainingSettings settings, ITrainingData data)
    {
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        _settings = settings;
        _schedule = settings.Schedule;
        Data = data ?? throw new ArgumentNullException(nameof(data));
    }

    /// <summary>Sets up the optimiser and EMA over <paramref name="trainable"/>; call once from the derived constructor.</summary>
    protected void Initialize(IReadOnlyList<(string Name, Parameter Parameter)> trainable)
    {
        if (trainable.Count == 0) throw new ArgumentException("nothing to train: no parameter requires grad");
        Trainable = trainable;
        Optimizer = new AdamW(trainable, _settings.AdamW);
        Ema = _settings.EmaDecay > 0 ? new Ema(trainable, _settings.EmaDecay, _settings.EmaWarmup) : null;
    }

    public ITrainingData Data { get; }

    /// <summary>Steps finished (the next step trains on <c>Data.Batch(Step)</c>).</summary>
    public long Step { get; private set; }

    public long TotalSteps => _settings.Steps;

    /// <summary>The parameters this trainer updates, by state-dict name.</summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> Trainable { get; private set; } = Array.Empty<(string, Parameter)>();

    public AdamW Optimizer { get; private set; } = null!;

    /// <summary>EMA of <see cref="Trainable"/>, or null with <c>EmaDecay = 0</c>.</summary>
    public Ema? Ema { get; private set; }

    /// <summary>Swaps the EMA weights in until disposed (a no-op without EMA).</summary>
    public IDisposable UseEmaWeights() => Ema?.Apply() ?? new Nothing();

    sealed class Nothing : IDisposable { public void Dispose() { } }

    /// <summary>The scalar loss of batch <paramref name="batch"/> (mean over samples), with its graph.</summary>
    protected abstract Tensor Loss(TrainingBatch batch);

    /// <summary>Runs after the backward pass, before clipping and the update (e.g. moves a compute copy's gradients onto the
    /// float32 master weights).</summary>
    protected virtual void AfterBackward() { }

    /// <summary>The modules whose whole state the training-state file holds, each with its key prefix.</summary>
    protected abstract IEnumerable<(string Prefix, nn.Module Module)> StateModules { get; }

    /// <summary>The random generators of the step, by name (their states are saved and restored).</summary>
    protected abstract IEnumerable<(string Name, Func<Tensor> Get, Action<Tensor> Set)> Generators { get; }

    protected abstract string Kind { get; }

    /// <summary>Denormal floats flushed to zero on the constructing thread until disposed (on the same thread).</summary>
    sealed class FlushingDenormals : IDisposable
    {
        public FlushingDenormals()
        {
            if (!Runtime.NativeSwitches.FlushDenormal(true))
                throw new PlatformNotSupportedException("FlushDenormals: this CPU or libtorch build cannot flush denormals (set FlushDenormals = false)");
        }

        public void Dispose() => Runtime.NativeSwitches.FlushDenormal(false);
    }

    /// <summary>Runs when <see cref="Train"/> starts, for steps [<paramref name="from"/>, <paramref name="to"/>); what it
    /// returns is disposed when that call returns or throws (e.g. a <see cref="LatentPrefetcher"/>).</summary>
    protected virtual IDisposable? BeginTraining(long from, long to) => null;

    /// <summary>A second optimiser the step updates itself (e.g. a discriminator's); the training-state file holds its state too.</summary>
    protected virtual AdamW? SecondOptimizer => null;

    /// <summary>Trains one step and returns its loss.</summary>
    public double TrainStep() => TrainStepCore().Loss;

    (double Loss, double Lr, double GradNorm) TrainStepCore()
    {
        double lr = _schedule.At(Step);
        double loss, norm;
        using (var scope = NewDisposeScope())
        {
            using var batch = Data.Batch(Step);
            var value = Loss(batch);
            loss = value.item<float>();
            if (!double.IsFinite(loss)) throw new InvalidOperationException($"step {Step + 1}: the loss is {loss}");
            value.backward();
        }
        AfterBackward();
        norm = GradientClipping.ClipByGlobalNorm(Trainable.Select(t => t.Parameter), _settings.ClipNorm);
        Optimizer.Update(lr);
        Optimizer.ZeroGrad();
        Ema?.Update();
        Step++;
        return (loss, lr, norm);
    }

    /// <summary>
    /// Trains from <see cref="Step"/> up to <paramref name="stopAt"/> (default: the settings' step count), calling
    /// <paramref name="callbacks"/>. Returns the last step's loss (NaN when no step ran).
    /// </summary>
    public double Train(TrainingCallbacks? callbacks = null, long? stopAt = null, CancellationToken cancel = default)
    {
        long end = Math.Min(stopAt ?? TotalSteps, TotalSteps);
        long start = Step;
        var clock = Stopwatch.StartNew();
        double last = double.NaN;
        using var session = BeginTraining(start, end);
        using var denormals = _settings.FlushDenormals ? new FlushingDenormals() : null;
        while (Step < end)
        {
            cancel.ThrowIfCancellationRequested();
            var (loss, lr, norm) = TrainStepCore();
            last = loss;
            if (callbacks is null) continue;
            double rate = (Step - start) / Math.Max(clock.Elapsed.TotalSeconds, 1e-9);
            var eta = TimeSpan.FromSeconds((end - Step) / Math.Max(rate, 1e-9));
            callbacks.OnStep?.Invoke(new TrainingProgress(Step, end, loss, rate, eta, lr, norm));
            if (callbacks.OnSample is not null && callbacks.SampleEvery > 0 && Step % callbacks.SampleEvery == 0)
                using (UseEmaWeights()) using (no_grad()) callbacks.OnSample(Step);
            if (callbacks.OnCheckpoint is not null && callbacks.CheckpointEvery > 0 && Step % callbacks.CheckpointEvery == 0)
                callbacks.OnCheckpoint(Step);
        }
        return last;
    }

    /// <summary>Writes the training state (atomically) to <paramref name="path"/>.</summary>
    public void SaveState(string path)
    {
        using var scope = NewDisposeScope();
        var tensors = new List<KeyValuePair<string, Tensor>>();
        foreach (var (prefix, module) in StateModules)
            foreach (var (name, t) in module.state_dict()) tensors.Add(new("weights." + prefix + name, t));
        tensors.AddRange(Optimizer.StateTensors("adamw."));
        if (Ema is not null) tensors.AddRange(Ema.StateTensors("ema."));
        if (SecondOptimizer is { } second) tensors.AddRange(second.StateTensors("adamw2."));
        foreach (var (name, get, _) in Generators) tensors.Add(new("rng." + name, get()));
        var meta = new Dictionary<string, string>
        {
            [KindKey] = Kind,
            [StepKey] = Step.ToString(CultureInfo.InvariantCulture),
            [OptimStepKey] = Optimizer.Step.ToString(CultureInfo.InvariantCulture),
            [EmaUpdatesKey] = (Ema?.Updates ?? 0).ToString(CultureInfo.InvariantCulture),
        };
        if (SecondOptimizer is { } secondStep) meta[SecondOptimStepKey] = secondStep.Step.ToString(CultureInfo.InvariantCulture);
        foreach (var kv in ExtraMetadata()) meta[kv.Key] = kv.Value;
        SafeTensorsWriter.Write(path, tensors, meta);
    }

    /// <summary>Metadata a derived trainer adds to the state file (e.g. the model config).</summary>
    protected virtual IEnumerable<KeyValuePair<string, string>> ExtraMetadata() => Array.Empty<KeyValuePair<string, string>>();

    /// <summary>Restores a state written by <see cref="SaveState"/> into this trainer (same modules and settings).</summary>
    public void LoadState(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        if (!file.Metadata.TryGetValue(KindKey, out var kind) || kind != Kind)
            throw new ArgumentException($"{path} is not a {Kind} training state (kind: {kind ?? "none"})");
        long Meta(string key) => long.Parse(file.Metadata[key], CultureInfo.InvariantCulture);

        void Read(string name, Tensor destination)
        {
            using var scope = NewDisposeScope();
            var entry = file.Entry(name);
            if (!entry.Shape.SequenceEqual(destination.shape) || entry.Type != destination.dtype)
                throw new ArgumentException($"{path}: '{name}' is {entry.DType} [{string.Join(", ", entry.Shape)}]; expected {destination.dtype} [{string.Join(", ", destination.shape)}]");
            using var noGrad = no_grad();
            destination.copy_(file.Read(name));
        }

        var expected = new HashSet<string>();
        using (var scope = NewDisposeScope())
        {
            foreach (var (prefix, module) in StateModules)
                foreach (var (name, t) in module.state_dict())
                {
                    Read("weights." + prefix + name, t);
                    expected.Add("weights." + prefix + name);
                }
        }
        Optimizer.LoadState(Meta(OptimStepKey), Read, "adamw.");
        expected.UnionWith(Optimizer.StateTensors("adamw.").Select(kv => kv.Key));
        if (Ema is not null)
        {
            Ema.LoadState(Meta(EmaUpdatesKey), Read, "ema.");
            expected.UnionWith(Ema.StateTensors("ema.").Select(kv => kv.Key));
        }
        if (SecondOptimizer is { } second)
        {
            if (!file.Metadata.ContainsKey(SecondOptimStepKey)) throw new ArgumentException($"{path} holds no second optimiser's state (written without a discriminator?)");
            second.LoadState(Meta(SecondOptimStepKey), Read, "adamw2.");
            expected.UnionWith(second.StateTensors("adamw2.").Select(kv => kv.Key));
        }
        foreach (var (name, _, set) in Generators)
        {
            using var state = file.Read("rng." + name);
            set(state);
            expected.Add("rng." + name);
        }
        var unexpected = file.Entries.Keys.Where(k => !expected.Contains(k)).ToList();
        if (unexpected.Count > 0) throw new ArgumentException($"{path}: unexpected tensors {string.Join(", ", unexpected.Take(5))}{(unexpected.Count > 5 ? ", …" : "")}");
        // A state carries no gradients; a step that failed halfway may have left some, which the next backward would add to.
        Optimizer.ZeroGrad();
        SecondOptimizer?.ZeroGrad();
        Step = Meta(StepKey);
    }

    public virtual void Dispose()
    {
        Optimizer?.Dispose();
        Ema?.Dispose();
    }
}
