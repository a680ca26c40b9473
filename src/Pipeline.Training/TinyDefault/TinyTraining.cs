using Pipeline.Checkpoints;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Models.Vae;
using System.Collections.Immutable;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Generation;
using Pipeline.Training.World;
using static TorchSharp.torch;

namespace Pipeline.Training.TinyDefault;

/// <summary>What a training stage reports to its caller (progress bar, log).</summary>
public sealed record TinyTrainingEvent(string Stage, TrainingProgress? Progress = null, string? Message = null);

/// <summary>
/// Trains the embedded default with the library's training API: VAE → base (three stages) → refiner. Every stage writes
/// its result into the work folder and is skipped when that result already exists, so an interrupted run resumes at the
/// last finished stage. The shipped files are the EMA weights in the sgm single-file layout, stored as fp16.
/// </summary>
public static class TinyTraining
{
    public const string BaseFile = "tiny-sdxl-base.safetensors", RefinerFile = "tiny-sdxl-refiner.safetensors", VaeFile = "vae.safetensors",
        TaesdFile = "tiny-taesd.safetensors", TaesdEncoderFile = "tiny-taesd-encoder.safetensors";

    /// <param name="prefetchBaseLatents">when this task ends, the base's stages fill their latent caches ahead on a second
    /// thread (<see cref="DiffusionTrainingSettings.PrefetchLatents"/>; the same bytes); null: they do not. For a base
    /// that trains on one core beside other work (<c>sdxl train</c>'s lanes: the task is the other lane's process), so
    /// its encoding takes up the core that work leaves, without competing with it.</param>
    public static void Run(TinyTrainingPlan plan, string workFolder, string outputFolder, string stages, Action<TinyTrainingEvent> report,
        CancellationToken cancel = default, Task? prefetchBaseLatents = null)
    {
        var wanted = ParseStages(stages);
        if (plan.DataEpochs < 1) throw new ArgumentException($"data epochs {plan.DataEpochs} must be >= 1 (1: every batch new)");
        if (plan.CheckpointEvery < 1) throw new ArgumentException($"checkpoint interval {plan.CheckpointEvery} must be >= 1 step");
        if (plan.VaePolishSteps > 0 && plan.VaePolishFlatEvery < 2)
            throw new ArgumentException($"VaePolishFlatEvery {plan.VaePolishFlatEvery} must be >= 2 (one flat sample in N)");
        Directory.CreateDirectory(workFolder);
        Directory.CreateDirectory(outputFolder);
        var vaePath = Path.Combine(workFolder, VaeFile);
        if (wanted.Contains("vae")) TrainVae(plan, workFolder, vaePath, report, cancel);
        if (wanted.Contains("base")) TrainDiffusion(plan, SdxlModelConfig.TinyBase, vaePath, Path.Combine(outputFolder, BaseFile), workFolder, refiner: false, report, cancel, prefetchBaseLatents);
        if (wanted.Contains("refiner")) TrainDiffusion(plan, SdxlModelConfig.TinyRefiner, vaePath, Path.Combine(outputFolder, RefinerFile), workFolder, refiner: true, report, cancel, prefetch: null);
        if (wanted.Contains("taesd")) TrainTaesd(plan, Path.Combine(outputFolder, BaseFile), workFolder, vaePath, Path.Combine(outputFolder, TaesdFile), report, cancel);
        if (wanted.Contains("taesd-encoder")) TrainTaesdEncoder(plan, Path.Combine(outputFolder, BaseFile), workFolder, vaePath, Path.Combine(outputFolder, TaesdEncoderFile), report, cancel);
    }

    /// <summary>
    /// Whether the output stage <paramref name="stage"/> is done: its file exists and this work folder's marker
    /// (<c>WORK/&lt;stage&gt;.done</c>, written when this run wrote the file) names it. An output file without that marker
    /// (the shipped weights in <c>models/</c>, another run's) is trained anew and replaced when the stage ends.
    /// </summary>
    static bool Finished(string workFolder, string stage, string outPath, Action<TinyTrainingEvent> report)
    {
        var marker = Path.Combine(workFolder, stage + ".done");
        if (File.Exists(outPath) && File.Exists(marker) && File.ReadAllText(marker).Trim() == Path.GetFullPath(outPath))
        {
            report(new(stage, Message: $"{outPath} exists: skipped"));
            return true;
        }
        if (File.Exists(outPath)) report(new(stage, Message: $"{outPath} was not trained from {workFolder}: training it anew (the file is replaced when the stage ends)"));
        return false;
    }

    static void MarkFinished(string workFolder, string stage, string outPath) =>
        File.WriteAllText(Path.Combine(workFolder, stage + ".done"), Path.GetFullPath(outPath));

    /// <summary>The stages one run trains: "all" (vae, base, refiner, taesd) or a comma-separated list of
    /// vae, base, refiner, taesd, taesd-encoder (e.g. "refiner,taesd"); they run in that order.</summary>
    public static IReadOnlyList<string> ParseStages(string stages)
    {
        ArgumentNullException.ThrowIfNull(stages);
        var names = stages.ToLowerInvariant().Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 1 && names[0] == "all") return new[] { "vae", "base", "refiner", "taesd" };
        var unknown = names.Where(n => n is not ("vae" or "base" or "refiner" or "taesd" or "taesd-encoder")).ToList();
        if (names.Length == 0 || unknown.Count > 0)
            throw new ArgumentException($"unknown training stage '{(unknown.Count > 0 ? unknown[0] : stages)}'; valid: all, or a comma-separated list of vae, base, refiner, taesd, taesd-encoder");
        return names.Distinct().ToList();
    }

    /// <summary>
    /// The VAE in three phases: L1 + KL at a high learning rate, then L1 + L2 + KL at a lower one (the L2 term sharpens
    /// colours), then a short decoder-only polish with flat backgrounds mixed in (<see cref="FlatBackgroundData"/>).
    /// Phase 1's weights are kept in the work folder, so a rerun resumes at phase 2.
    /// </summary>
    static void TrainVae(TinyTrainingPlan plan, string work, string vaePath, Action<TinyTrainingEvent> report, CancellationToken cancel)
    {
        if (File.Exists(vaePath)) { report(new("vae", Message: $"{vaePath} exists: skipped")); return; }
        var phase1 = Path.Combine(work, "vae-phase1.safetensors");
        manual_seed(plan.Seed);
        using var vae = new AutoencoderKL(SdxlModelConfig.TinyBase.Vae);
        var compute = NativeBf16(plan.Bf16Vae, vae.parameters().First().device);
        if (compute is not null) report(new("vae", Message: "mixed precision: bfloat16 compute, float32 master weights (the CPU has native bf16)"));
        if (File.Exists(phase1))
        {
            using var f = SafeTensorsFile.Open(phase1);
            StateDictLoader.Load(vae, f);
            report(new("vae", Message: $"phase 1 loaded from {phase1}"));
        }
        else
        {
            var settings = new VaeTrainingSettings
            {
                Steps = plan.VaeSteps, LearningRate = plan.VaeLearningRate, WarmupSteps = Math.Min(50, plan.VaeSteps / 4 + 1),
                Decay = LearningRateDecay.Cosine, Seed = plan.Seed, ComputeDType = compute,
            };
            using (var trainer = new VaeTrainer(vae, new ShapeWorldData(plan.World(0, plan.VaeBatch, WorldBuckets.MultiAspect)), settings))
                TrainWithState(trainer, plan, StatePath(work, "vae-phase-1"), "vae phase 1", report, cancel);
            SafeTensorsWriter.Write(phase1, vae.state_dict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value)).ToList());
        }
        var refine = new VaeTrainingSettings
        {
            Steps = plan.VaeRefineSteps, LearningRate = plan.VaeRefineLearningRate, WarmupSteps = Math.Min(50, plan.VaeRefineSteps / 4 + 1),
            Decay = LearningRateDecay.Cosine, Seed = plan.Seed + 1, L2Weight = plan.VaeRefineL2Weight,
            EdgeWeight = plan.VaeRefineEdgeWeight, EmaDecay = plan.VaeRefineEmaDecay, ComputeDType = compute, LatentNoise = plan.VaeLatentNoise,
        };
        using (var trainer = new VaeTrainer(vae, new ShapeWorldData(plan.World(1, plan.VaeBatch, WorldBuckets.MultiAspect)), refine))
        {
            TrainWithState(trainer, plan, StatePath(work, "vae-phase-2"), "vae phase 2", report, cancel);
            trainer.Ema?.CopyTo();   // the EMA weights are the VAE
        }
        if (plan.VaePolishSteps > 0)
        {
            var polish = new VaeTrainingSettings
            {
                Steps = plan.VaePolishSteps, LearningRate = plan.VaePolishLearningRate, WarmupSteps = Math.Min(20, plan.VaePolishSteps / 4 + 1),
                Decay = LearningRateDecay.Cosine, Seed = plan.Seed + 6, DecoderOnly = true, KlWeight = 0, L2Weight = plan.VaeRefineL2Weight,
                EdgeWeight = plan.VaeRefineEdgeWeight, EmaDecay = plan.VaePolishEmaDecay, ComputeDType = compute, LatentNoise = plan.VaeLatentNoise,
            };
            var data = new FlatBackgroundData(new ShapeWorldData(plan.World(6, plan.VaeBatch, WorldBuckets.MultiAspect)), plan.VaePolishFlatEvery);
            using var trainer = new VaeTrainer(vae, data, polish);
            TrainWithState(trainer, plan, StatePath(work, "vae-phase-3"), "vae phase 3", report, cancel);
            trainer.Ema?.CopyTo();   // the decoder's EMA weights; the encoder is untouched
        }
        double scale = VaeTrainer.MeasureScaleFactor(vae, new ShapeWorldData(plan.World(7, 32, WorldBuckets.MultiAspect)), batches: 4, seed: plan.Seed);
        report(new("vae", Message: $"latent scale factor 1/std = {scale:F4}"));
        var tensors = vae.state_dict().Select(kv => new KeyValuePair<string, Tensor>(kv.Key, kv.Value)).ToList();
        SafeTensorsWriter.Write(vaePath, tensors, new Dictionary<string, string> { ["scale_factor"] = scale.ToString("R", System.Globalization.CultureInfo.InvariantCulture) });
        DeleteStates(work, "vae-phase-1", "vae-phase-2", "vae-phase-3");
    }

    /// <summary>
    /// The preview/fast decoder: a TAESD-layout decoder (<see cref="TinyTrainingPlan.TaesdChannels"/> wide) distilled from
    /// the shipped VAE on the shape world (<see cref="TaesdTrainer"/>; a bf16 teacher with <see cref="TinyTrainingPlan.Bf16TaesdTeacher"/>
    /// on a CPU with native bf16), written as fp16 in the released names.
    /// </summary>
    static void TrainTaesd(TinyTrainingPlan plan, string basePath, string work, string vaePath, string outPath, Action<TinyTrainingEvent> report, CancellationToken cancel) =>
        Distil(plan, basePath, work, vaePath, outPath, "taesd", 4, vae => new TaesdDecoder(vae.Config.EmbedDim, plan.TaesdChannels),
            (vae, decoder, data, settings) => new TaesdTrainer(vae, (TaesdDecoder)decoder, data, settings,
                NativeBf16(plan.Bf16TaesdTeacher, vae.parameters().First().device)), report, cancel);

    /// <summary>
    /// The fast encoder (not part of "all"): a TAESD-layout encoder (<see cref="TinyTrainingPlan.TaesdChannels"/> wide)
    /// distilled from the shipped VAE's encoder (<see cref="TaesdEncoderTrainer"/>), fp16 in the released names.
    /// </summary>
    static void TrainTaesdEncoder(TinyTrainingPlan plan, string basePath, string work, string vaePath, string outPath, Action<TinyTrainingEvent> report, CancellationToken cancel) =>
        Distil(plan, basePath, work, vaePath, outPath, "taesd-encoder", 5, vae => new TaesdEncoder(vae.Config.EmbedDim, plan.TaesdChannels),
            (vae, encoder, data, settings) => new TaesdEncoderTrainer(vae, (TaesdEncoder)encoder, data, settings), report, cancel);

    /// <summary>
    /// The VAE the checkpoints ship: the work folder's trained VAE rounded through fp16 as the checkpoints store it (the
    /// same weights as this run's base holds, so the TAESD stages need not wait for the base), or, without one, the base
    /// checkpoint's (e.g. distilling for the shipped base with a fresh work folder).
    /// </summary>
    static AutoencoderKL ShippedVae(string basePath, string vaePath, string stage, out SdxlModel? owner)
    {
        owner = null;
        if (!File.Exists(vaePath))
        {
            if (!File.Exists(basePath))
                throw new InvalidOperationException($"the {stage} stage distils the VAE; neither {vaePath} nor {basePath} exists (run the vae stage first)");
            owner = SdxlModel.Load(basePath);
            return owner.FirstStage;
        }
        using var file = SafeTensorsFile.Open(vaePath);
        double scale = double.Parse(file.Metadata["scale_factor"], System.Globalization.CultureInfo.InvariantCulture);
        var vae = new AutoencoderKL(SdxlModelConfig.TinyBase.Vae with { ScaleFactor = scale });
        StateDictLoader.Load(vae, file);
        using var noGrad = no_grad();
        foreach (var p in vae.parameters()) p.copy_(p.to(ScalarType.Float16).to(ScalarType.Float32));
        return vae;
    }

    /// <summary>A tiny network distilled from the shipped VAE: seeded by plan seed + <paramref name="offset"/>,
    /// trained on shape-world stream <paramref name="offset"/>, written as fp16 under its released state names.</summary>
    static void Distil(TinyTrainingPlan plan, string basePath, string work, string vaePath, string outPath, string stage, int offset, Func<AutoencoderKL, nn.Module> make,
        Func<AutoencoderKL, nn.Module, ITrainingData, TrainingSettings, Trainer> trainerOf, Action<TinyTrainingEvent> report, CancellationToken cancel)
    {
        if (Finished(work, stage, outPath, report)) return;
        var vae = ShippedVae(basePath, vaePath, stage, out var owner);
        using var disposeOwner = owner;
        using var disposeVae = owner is null ? vae : null;
        manual_seed(plan.Seed + offset);
        using var network = make(vae);
        var settings = new VaeTrainingSettings
        {
            Steps = plan.TaesdSteps, LearningRate = plan.TaesdLearningRate, WarmupSteps = Math.Min(20, plan.TaesdSteps / 4 + 1),
            Decay = LearningRateDecay.Cosine, Seed = plan.Seed + offset,
        };
        using (var trainer = trainerOf(vae, network, new ShapeWorldData(plan.World(offset, plan.VaeBatch, WorldBuckets.MultiAspect)), settings))
            TrainWithState(trainer, plan, StatePath(work, stage), stage, report, cancel);
        SafeTensorsWriter.Write(outPath, network.named_parameters().Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter.detach())).ToList(),
            new Dictionary<string, string> { ["pipeline.trained_by"] = "TinyTraining", ["pipeline.plan"] = plan.ToString() }, (_, _) => ScalarType.Float16);
        DeleteStates(work, stage);
        MarkFinished(work, stage, outPath);
        report(new(stage, Message: $"wrote {outPath} ({new FileInfo(outPath).Length / 1e6:F1} MB)"));
    }

    static void TrainDiffusion(TinyTrainingPlan plan, SdxlModelConfig config, string vaePath, string outPath, string workFolder, bool refiner,
        Action<TinyTrainingEvent> report, CancellationToken cancel, Task? prefetch)
    {
        string name = refiner ? "refiner" : "base";
        if (Finished(workFolder, name, outPath, report)) return;
        if (!File.Exists(vaePath)) throw new InvalidOperationException($"the {name} stage needs the trained VAE at {vaePath}; run the 'vae' stage first");
        double scale;
        using (var vaeFile = SafeTensorsFile.Open(vaePath))
            scale = double.Parse(vaeFile.Metadata["scale_factor"], System.Globalization.CultureInfo.InvariantCulture);
        config = config with { Vae = config.Vae with { ScaleFactor = scale } };
        manual_seed(plan.Seed + (refiner ? 2 : 1));
        using var model = SdxlModel.Create(config);
        using (var vaeFile = SafeTensorsFile.Open(vaePath)) StateDictLoader.Load(model.FirstStage, vaeFile);

        var stages = refiner
            ? new[] { new DiffusionStage("refiner", plan.RefinerSteps, WorldBuckets.MultiAspect) }
            : plan.EffectiveBaseStages;
        // A stage's state file holds the whole model, so a run resumes at the last stage that left one and skips the
        // stages before it (their result is in those weights).
        var states = Enumerable.Range(0, stages.Count).Select(i => $"{name}-stage-{i}").ToArray();
        int resumeAt = Array.FindLastIndex(states, n => File.Exists(StatePath(workFolder, n)));
        for (int i = 0; i < stages.Count; i++)
        {
            var stage = stages[i];
            if (i < resumeAt) { report(new($"{name}: {stage.Name}", Message: $"done (held by {StatePath(workFolder, states[resumeAt])})")); continue; }
            int batchSize = refiner ? plan.RefinerBatch : plan.BaseBatch;
            var world = plan.World(100 * (i + 1) + (refiner ? 1000 : 0), batchSize, stage.Buckets);
            if (refiner) world = world.HighQuality();
            long distinct = plan.DistinctBatches(stage.Steps);
            ITrainingData data = plan.DataEpochs > 1 ? new RepeatingData(new ShapeWorldData(world), distinct) : new ShapeWorldData(world);
            var encode = NativeBf16(plan.Bf16Encode, model.Device);
            var settings = StageSettings(plan, stage, i, refiner, encode) with { PrefetchLatents = prefetch is not null && plan.DataEpochs > 1 };
            using var trainer = new DiffusionTrainer(model, data, settings, prefetch);
            string label = $"{name}: {stage.Name}";
            int index = i;
            TrainWithState(trainer, plan, StatePath(workFolder, states[i]), label, report, cancel,
                sampleEvery: Math.Max(1, stage.Steps / 2), onSample: step => WriteSamples(model, Path.Combine(workFolder, $"samples-{name}-{index}-{step}.png")));
            // The EMA weights become the model for the next stage (and the shipped weights at the end).
            trainer.Ema?.CopyTo();
        }
        model.Save(outPath, ScalarType.Float16, new Dictionary<string, string> { ["pipeline.trained_by"] = "TinyTraining", ["pipeline.plan"] = plan.ToString() });
        DeleteStates(workFolder, states);
        MarkFinished(workFolder, name, outPath);
        report(new(name, Message: $"wrote {outPath} ({new FileInfo(outPath).Length / 1e6:F1} MB)"));
    }

    /// <summary>
    /// The trainer settings of diffusion stage <paramref name="index"/> (of the base, or the refiner's only stage): the
    /// stage's steps and learning rate, the plan's EMA, a seed per stage, the refiner's noise-scale range, the latent
    /// cache of the plan's data epochs; loss weighting: the refiner's <see cref="TinyTrainingPlan.RefinerLossWeighting"/>
    /// (else the plan's), the base's <see cref="TinyTrainingPlan.LossWeighting"/>; the plan's sigma sampler for the base only.
    /// </summary>
    internal static DiffusionTrainingSettings StageSettings(TinyTrainingPlan plan, DiffusionStage stage, int index, bool refiner, ScalarType? encodeDType)
    {
        int batchSize = refiner ? plan.RefinerBatch : plan.BaseBatch;
        var settings = new DiffusionTrainingSettings
        {
            Steps = stage.Steps, LearningRate = stage.LearningRate, WarmupSteps = stage.WarmupSteps, Decay = LearningRateDecay.Cosine,
            EmaDecay = plan.EmaDecay, Seed = plan.Seed + 10 * (index + 1), MaxIdx = refiner ? plan.RefinerMaxIdx : null,
            EncodeDType = encodeDType, ChannelsLastEncode = plan.ChannelsLastEncode, FlushDenormals = plan.FlushDenormals,
            LatentCacheSize = plan.DataEpochs > 1 ? plan.DistinctBatches(stage.Steps) * batchSize : 0,
        };
        if ((refiner ? plan.RefinerLossWeighting ?? plan.LossWeighting : plan.LossWeighting) is { } weighting) settings = settings with { LossWeighting = weighting };
        if (!refiner && plan.SigmaSampler is { } sigmas) settings = settings with { SigmaSampler = sigmas };
        return settings;
    }

    /// <summary>bfloat16 where the plan's switch <paramref name="wanted"/> is on and <paramref name="device"/> is a CPU with
    /// native bf16 (the plan's bf16 VAE training, encoding and TAESD teacher); else null: float32.</summary>
    static ScalarType? NativeBf16(bool wanted, Device device) =>
        wanted && device.type == TorchSharp.DeviceType.CPU && Runtime.ComputePrecision.CpuHasNativeBf16 ? ScalarType.BFloat16 : null;

    /// <summary>The training-state file of <paramref name="name"/> (a VAE phase, a diffusion stage, a distillation) in the work folder.</summary>
    public static string StatePath(string workFolder, string name) => Path.Combine(workFolder, name + ".state");

    /// <summary>
    /// Trains <paramref name="trainer"/> to its end with a state file: resumes from <paramref name="statePath"/> when it
    /// exists (bit-exactly: weights, optimiser, EMA and generators), writes it every <see cref="TinyTrainingPlan.CheckpointEvery"/>
    /// steps and at the end, so a crashed run loses at most that many steps; a cancelled one (which stops between steps)
    /// writes it at the step it stopped and loses nothing; when libtorch fails inside a step, it resumes from the last
    /// state (up to <see cref="NativeErrorRetries"/> times). Every step is reported under <paramref name="label"/>, and at
    /// the end the wall clock this run spent on it (the stage times of a training's log).
    /// </summary>
    static void TrainWithState(Trainer trainer, TinyTrainingPlan plan, string statePath, string label, Action<TinyTrainingEvent> report,
        CancellationToken cancel, long sampleEvery = 0, Action<long>? onSample = null)
    {
        long every = plan.CheckpointEvery;
        var callbacks = new TrainingCallbacks(OnStep: p => report(new(label, p)), SampleEvery: sampleEvery, OnSample: onSample,
            CheckpointEvery: every, OnCheckpoint: _ => trainer.SaveState(statePath));
        if (File.Exists(statePath))
        {
            trainer.LoadState(statePath);
            report(new(label, Message: $"resumed at step {trainer.Step} of {trainer.TotalSteps} from {statePath}"));
        }
        long firstStep = trainer.Step;
        var clock = System.Diagnostics.Stopwatch.StartNew();
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                trainer.Train(callbacks, cancel: cancel);
                break;
            }
            catch (OperationCanceledException)
            {
                trainer.SaveState(statePath);   // cancellation stops between steps: the state is whole
                report(new(label, Message: $"stopped at step {trainer.Step} of {trainer.TotalSteps}; state in {statePath}"));
                throw;
            }
            catch (System.Runtime.InteropServices.ExternalException e) when (attempt <= NativeErrorRetries && File.Exists(statePath))
            {
                // libtorch failed inside a step (TorchSharp 0.107 can free a temporary Scalar, e.g. the implicit alpha
                // of Tensor.add, while the native call still reads it): the last state is whole, and resuming from it
                // gives the bytes an uninterrupted run gives.
                trainer.LoadState(statePath);
                report(new(label, Message: $"libtorch failed in a step ({FirstLine(e.Message)}); resumed at step {trainer.Step} from {statePath} (retry {attempt} of {NativeErrorRetries})"));
            }
        }
        if (trainer.Step % every != 0) trainer.SaveState(statePath);
        report(new(label, Message: $"finished {trainer.TotalSteps} steps in {clock.Elapsed.TotalMinutes:F1} min"
            + (firstStep > 0 ? $" (this run: steps {firstStep + 1}–{trainer.TotalSteps})" : "")));
    }

    /// <summary>
    /// How often one stage resumes from its last state after libtorch fails inside a step before the error stands. The
    /// failures come in bursts: one run of 2026-12-04 had three in six minutes of the base's 64×64 stage (each retry
    /// costs at most <see cref="TinyTrainingPlan.CheckpointEvery"/> steps).
    /// </summary>
    public const int NativeErrorRetries = 10;

    static string FirstLine(string message) => message.Split('\n', 2)[0].Trim();

    static void DeleteStates(string workFolder, params string[] names)
    {
        foreach (var n in names) File.Delete(StatePath(workFolder, n));
    }

    /// <summary>A labelled grid of 8 evaluation prompts (64×64, 20 steps, CFG 2) from the current weights.</summary>
    public static void WriteSamples(SdxlModel model, string path)
    {
        var labels = EvaluationPrompts.Take(8);
        var size = new Conditioning.ImageSize(64, 64);
        var rows = labels.Select(l => new PromptRow(l.Caption, "", MicroConditioning.ForImage(size))).ToImmutableArray();
        var plan = new GenerationPlan(model, rows, size, new LegacyDDPMDiscretization().GetSigmas(20), new EulerEDMSampler(), new VanillaCFG(2.0), 1)
        {
            Decode = new DecodeOptions(SamplesAtATime: 16),
        };
        using var result = plan.Run();
        var images = result.Images;
        var cells = Enumerable.Range(0, labels.Count).Select(i => images[i]).ToList();
        using var grid = ImageGrid.Compose(cells, 8);
        foreach (var c in cells) c.Dispose();
        PngImage.WriteAtomically(path, PngImage.Encode(grid));
    }
}
