using Pipeline.Conditioning;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Training;
using Pipeline.Models.Bundles;
using Pipeline.Tokenize;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// The diffusion loss of one batch, shared by <see cref="DiffusionTrainer"/> and <see cref="Lora.LoraTrainer"/>: images →
/// frozen VAE posterior sample × scale factor (encoded in <see cref="DiffusionTrainingSettings.EncodeDType"/> when set,
/// from channels-last images with <see cref="DiffusionTrainingSettings.ChannelsLastEncode"/>); captions → tokens, with the batch's micro-conditioning → conditioner rows →
/// conditioning (UCG dropout from its own seeded generator); <see cref="StandardDiffusionLoss"/> through
/// <c>model.Denoiser</c> and <c>model.Network</c>; mean over samples. Draws: one generator (seed) for posterior noise,
/// sigmas, noise and offset noise (in that order), another (seed + 1) for UCG dropout.
/// </summary>
public sealed class DiffusionObjective : IDisposable
{
    readonly SdxlModel _model;
    readonly DiffusionTrainingSettings _settings;
    readonly SeededRandom _random;
    readonly Generator _ucg;
    readonly Dictionary<string, (int[] ClipL, int[] OpenClip)> _tokens = new();
    readonly bool _graphThroughFrozen;
    readonly Models.Vae.AutoencoderKL? _encoder;   // a copy of the VAE in EncodeDType, when that differs from the VAE's
    readonly LatentCache? _cache;

    /// <param name="graphThroughFrozen">record the graph through frozen text encoders too (text-encoder LoRA training)</param>
    public DiffusionObjective(SdxlModel model, DiffusionTrainingSettings settings, bool graphThroughFrozen = false)
    {
        _graphThroughFrozen = graphThroughFrozen;
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        _random = new SeededRandom(settings.Seed);
        _ucg = new Generator((ulong)(settings.Seed + 1), CPU);
        if (settings.EncodeDType is { } encodeType && encodeType != model.FirstStage.ComputeDType)
            _encoder = FrozenCopy.Of(model.FirstStage, encodeType);
        if (settings.LatentCacheSize > 0) _cache = new LatentCache(settings.LatentCacheSize);
        LossFunction = new StandardDiffusionLoss(settings.SigmaSampler ?? ModelNoiseScales(model, settings),
            settings.LossWeighting, DiffusionLossType.L2, settings.OffsetNoiseLevel);
    }

    /// <summary>sgm's default: uniform over [MinIdx, MaxIdx) of the model's own discrete noise scales.</summary>
    static DiscreteSampling ModelNoiseScales(SdxlModel model, DiffusionTrainingSettings settings) =>
        new(new LegacyDDPMDiscretization(NumTimesteps: model.Config.NumTimesteps), model.Config.NumTimesteps, settings.MinIdx, settings.MaxIdx);

    /// <summary>The posterior cache (<see cref="DiffusionTrainingSettings.LatentCacheSize"/> > 0), else null.</summary>
    public LatentCache? LatentCache => _cache;

    /// <summary>The loss, with its sigma sampler and weighting.</summary>
    public StandardDiffusionLoss LossFunction { get; }

    /// <summary>The random generators of the loss, by name (a trainer saves and restores their states).</summary>
    public IEnumerable<(string Name, Func<Tensor> Get, Action<Tensor> Set)> Generators => new (string, Func<Tensor>, Action<Tensor>)[]
    {
        ("loss", _random.GetState, _random.SetState),
        ("ucg", () => _ucg.get_state(), s => _ucg.set_state(s)),
    };

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

    /// <summary>The mean loss of <paramref name="batch"/>, with its graph (call inside a dispose scope).</summary>
    public Tensor Loss(TrainingBatch batch)
    {
        CheckBatch(batch);
        Tensor latents;
        using (no_grad())
        {
            var encoder = _encoder ?? _model.FirstStage;
            using var moments = _cache is null ? Encode(encoder, batch.Images) : _cache.Moments(batch, images => Encode(encoder, images));
            using var posterior = new Models.Vae.DiagonalGaussianDistribution(moments);
            var z = (_settings.SampleLatents ? posterior.Sample(_random.Normal(posterior.Mean.shape, CPU)) : posterior.Mode()).to(ScalarType.Float32);
            latents = (z * _model.FirstStage.Config.ScaleFactor).to(_model.ComputeDType);
        }
        var conditioning = _model.Conditioner.Forward(Rows(batch), null, _settings.UcgDropout ? _ucg : null, _graphThroughFrozen);
        return LossFunction.PerSample(_model.Denoiser, _model.Network, latents, conditioning, _random).mean();
    }

    /// <summary>A <see cref="LatentPrefetcher"/> filling this objective's latent cache with batches [<paramref name="from"/>,
    /// <paramref name="to"/>) of <paramref name="data"/> through the same encoder call as <see cref="Loss"/>, once
    /// <paramref name="start"/> (if any) has ended.</summary>
    public LatentPrefetcher Prefetch(ITrainingData data, long from, long to, Task? start = null)
    {
        var cache = _cache ?? throw new InvalidOperationException("prefetching latents needs a latent cache (LatentCacheSize > 0)");
        var encoder = _encoder ?? _model.FirstStage;
        return new LatentPrefetcher(data, cache, images => Encode(encoder, images), from, to, start, _settings.FlushDenormals);
    }

    /// <summary>The frozen encoder's moments of <paramref name="images"/>, fed channels-last when the settings ask
    /// (<see cref="DiffusionTrainingSettings.ChannelsLastEncode"/>).</summary>
    Tensor Encode(Models.Vae.AutoencoderKL encoder, Tensor images)
    {
        var onDevice = images.to(_model.Device);   // may be the batch's own tensor: not disposed here
        if (!_settings.ChannelsLastEncode) return encoder.EncodeMoments(onDevice);
        using var packed = Runtime.ChannelsLast.Of(onDevice);
        return encoder.EncodeMoments(packed);
    }

    static void CheckBatch(TrainingBatch batch)
    {
        int n = batch.Count;
        if (batch.IsRendered && batch.Images.shape[0] != n)
            throw new ArgumentException($"training batch of {batch.Images.shape[0]} images has {n} captions");
        if (batch.Captions.Count != n || batch.OriginalSizes.Count != n || batch.Crops.Count != n || batch.AestheticScores.Count != n)
            throw new ArgumentException($"training batch of {n} images has {batch.Captions.Count} captions, {batch.OriginalSizes.Count} original sizes, {batch.Crops.Count} crops and {batch.AestheticScores.Count} aesthetic scores");
    }

    public void Dispose()
    {
        _random.Dispose();
        _ucg.Dispose();
        _encoder?.Dispose();
        _cache?.Dispose();
    }
}
