using Pipeline.Diffusion.Training;
using Pipeline.Models.Vae;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Trains an <see cref="AutoencoderKL"/> on <see cref="TrainingBatch.Images"/>: encode → posterior sample (seeded) →
/// decode; loss per image Σ|x − x̂| + L2Weight·Σ(x − x̂)² + EdgeWeight·Σ|∇x − ∇x̂| (horizontal and vertical neighbour
/// differences) + KlWeight·KL (sgm's KL-regularised autoencoder loss without LPIPS, plus an edge term; the GAN term below is optional), divided by the image's element count; mean over the batch. With
/// <see cref="VaeTrainingSettings.DecoderOnly"/> the encoder and <c>quant_conv</c> are frozen (encoded without a graph)
/// and only <c>post_quant_conv</c> and the decoder learn. With <see cref="VaeTrainingSettings.DiscriminatorWeight"/> &gt; 0, from
/// step <see cref="VaeTrainingSettings.DiscriminatorStart"/> on a <see cref="PatchDiscriminator"/> learns (hinge loss, its own
/// AdamW) to tell reconstructions from images, and the VAE's loss gains LDM's adversarial term −mean D(x̂), weighted
/// adaptively: DiscriminatorWeight · ‖∇L_rec‖ / (‖∇L_adv‖ + 1e-4) at the decoder's last layer (clamped to [0, 10⁴]).
/// With <see cref="VaeTrainingSettings.ComputeDType"/> bfloat16 (or float16) the passes run in a <see cref="ComputeCopy"/>
/// of the VAE in that dtype; the posterior, its sample, the reconstruction error and the discriminator stay float32.
/// </summary>
public sealed class VaeTrainer : Trainer
{
    readonly SeededRandom _random;
    readonly PatchDiscriminator? _discriminator;
    readonly AdamW? _discriminatorOptimizer;
    readonly Parameter? _lastDecoderWeight;
    readonly ComputeCopy? _copy;

    public AutoencoderKL Vae { get; }
    public VaeTrainingSettings Settings { get; }

    public VaeTrainer(AutoencoderKL vae, ITrainingData data, VaeTrainingSettings settings) : base(settings, data)
    {
        Vae = vae ?? throw new ArgumentNullException(nameof(vae));
        Settings = settings;
        if (vae.ComputeDType != ScalarType.Float32) throw new ArgumentException($"training needs a float32 VAE, got {vae.ComputeDType}");
        var trained = vae.named_parameters().Where(np => !settings.DecoderOnly || IsDecoderSide(np.name)).ToList();
        foreach (var (name, p) in vae.named_parameters()) p.requires_grad = !settings.DecoderOnly || IsDecoderSide(name);
        Initialize(trained.Select(np => (np.name, np.parameter)).ToList());
        _random = new SeededRandom(settings.Seed);
        var device = vae.parameters().First().device;
        if (settings.ComputeDType is { } compute && compute != ScalarType.Float32)
            _copy = new ComputeCopy(vae, new AutoencoderKL(vae.Config, device, compute));
        if (settings.DiscriminatorWeight > 0)
        {
            _lastDecoderWeight = Computing.named_parameters().Single(np => np.name == "decoder.conv_out.weight").parameter;
            _discriminator = new PatchDiscriminator(vae.Config.OutCh, settings.DiscriminatorChannels, settings.DiscriminatorLayers, settings.Seed + 1);
            _discriminator.to(device);
            _discriminatorOptimizer = new AdamW(_discriminator.named_parameters().Select(np => (np.name, np.parameter)).ToList(),
                new AdamWSettings(Beta1: 0.5, Beta2: 0.9, WeightDecay: 0));
        }
    }

    /// <summary>The VAE the passes run through: the compute copy, or the trained VAE itself.</summary>
    AutoencoderKL Computing => (AutoencoderKL?)_copy?.Module ?? Vae;

    /// <summary>The patch discriminator, or null without an adversarial term.</summary>
    public PatchDiscriminator? Discriminator => _discriminator;

    /// <summary>Whether a VAE parameter is on the decoder side (<c>post_quant_conv.*</c>, <c>decoder.*</c>).</summary>
    public static bool IsDecoderSide(string name) =>
        name.StartsWith("decoder.", StringComparison.Ordinal) || name.StartsWith("post_quant_conv.", StringComparison.Ordinal);

    protected override string Kind => "vae";

    protected override IEnumerable<(string Prefix, nn.Module Module)> StateModules =>
        _discriminator is null ? new (string, nn.Module)[] { ("", Vae) } : new (string, nn.Module)[] { ("", Vae), ("discriminator.", _discriminator) };

    protected override AdamW? SecondOptimizer => _discriminatorOptimizer;

    protected override IEnumerable<(string Name, Func<Tensor> Get, Action<Tensor> Set)> Generators => new (string, Func<Tensor>, Action<Tensor>)[]
    {
        ("loss", _random.GetState, _random.SetState),
    };

    protected override Tensor Loss(TrainingBatch batch)
    {
        var x = batch.Images.to(ScalarType.Float32, Vae.parameters().First().device);
        _copy?.PullWeights();
        var vae = Computing;
        DiagonalGaussianDistribution posterior;   // in float32 whatever the compute dtype
        using (Settings.DecoderOnly ? no_grad() : null)
        using (var moments = vae.EncodeMoments(x))
            posterior = new DiagonalGaussianDistribution(moments.to(ScalarType.Float32));
        using var disposePosterior = posterior;
        var z = posterior.Sample(_random.Normal(posterior.Mean.shape, CPU));
        if (Settings.LatentNoise > 0)
        {
            long n = z.shape[0];
            var std = _random.Uniform(new[] { n, 1L, 1L, 1L }, CPU).to(z.device) * (Settings.LatentNoise * z.std().item<float>());
            z = z + std * _random.Normal(z.shape, CPU).to(z.device);
        }
        var reconstruction = vae.Decode(z).to(ScalarType.Float32);
        var diff = reconstruction - x;
        long b = x.shape[0];
        double elements = x.numel() / (double)b;
        var perImage = diff.abs().reshape(b, -1).sum(1);
        if (Settings.L2Weight > 0) perImage = perImage + Settings.L2Weight * diff.square().reshape(b, -1).sum(1);
        if (Settings.EdgeWeight > 0) perImage = perImage + Settings.EdgeWeight * EdgeError(diff);
        if (Settings.KlWeight > 0) perImage = perImage + Settings.KlWeight * posterior.Kl();
        var loss = (perImage / elements).mean();
        if (_discriminator is null || Step < Settings.DiscriminatorStart) return loss;
        TrainDiscriminator(x, reconstruction.detach());
        var adversarial = -_discriminator.call(reconstruction).mean();
        return loss + AdaptiveWeight(loss, adversarial) * adversarial;
    }

    protected override void AfterBackward() => _copy?.PushGradients();

    void TrainDiscriminator(Tensor real, Tensor fake)
    {
        using var scope = NewDisposeScope();
        _discriminatorOptimizer!.ZeroGrad();   // also drops what the last step's adversarial term left on it
        PatchDiscriminator.HingeLoss(_discriminator!.call(real), _discriminator.call(fake)).backward();
        _discriminatorOptimizer.Update(Settings.DiscriminatorLearningRate ?? Settings.LearningRate);
    }

    /// <summary>LDM's adaptive weight: balances the two terms' gradients at the decoder's last layer (no graph).</summary>
    double AdaptiveWeight(Tensor reconstructionLoss, Tensor adversarialLoss)
    {
        using var scope = NewDisposeScope();
        var last = _lastDecoderWeight!;
        var g1 = torch.autograd.grad(new[] { reconstructionLoss }, new[] { last }, retain_graph: true)[0];
        var g2 = torch.autograd.grad(new[] { adversarialLoss }, new[] { last }, retain_graph: true)[0];
        // The norms in float32: with a bfloat16 compute copy the gradients at its last layer are bfloat16.
        double ratio = g1.norm().to(ScalarType.Float32).item<float>() / (g2.norm().to(ScalarType.Float32).item<float>() + 1e-4);
        return Settings.DiscriminatorWeight * Math.Clamp(ratio, 0, 1e4);
    }

    /// <summary>
    /// The edge term of a reconstruction error <paramref name="diff"/> = x̂ − x [B, C, H, W], per image [B]:
    /// Σ|∇x̂ − ∇x| over horizontal and vertical neighbour differences. Zero for an error that is the same everywhere (a
    /// colour shift), large where the reconstruction blurs or moves an edge.
    /// </summary>
    public static Tensor EdgeError(Tensor diff)
    {
        if (diff.dim() != 4) throw new ArgumentException($"expected [B, C, H, W], got [{string.Join(", ", diff.shape)}]");
        using var scope = NewDisposeScope();
        long b = diff.shape[0];
        var dx = diff[.., .., .., 1..] - diff[.., .., .., ..^1];
        var dy = diff[.., .., 1.., ..] - diff[.., .., ..^1, ..];
        return (dx.abs().reshape(b, -1).sum(1) + dy.abs().reshape(b, -1).sum(1)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The scale factor SD chose by measurement: 1 / std of the posterior samples over <paramref name="batches"/> batches of
    /// <paramref name="data"/> (starting at <paramref name="firstBatch"/>), so scaled latents have unit variance.
    /// Use it through <c>config with { Vae = config.Vae with { ScaleFactor = … } }</c>.
    /// </summary>
    public static double MeasureScaleFactor(AutoencoderKL vae, ITrainingData data, int batches = 4, long firstBatch = 0, long seed = 0)
    {
        using var random = new SeededRandom(seed);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var samples = new List<Tensor>();
        for (long i = firstBatch; i < firstBatch + batches; i++)
        {
            using var batch = data.Batch(i);
            using var posterior = vae.Encode(batch.Images.to(ScalarType.Float32, vae.parameters().First().device));
            samples.Add(posterior.Sample(random.Normal(posterior.Mean.shape, CPU)).flatten());
        }
        double std = cat(samples, 0).to(ScalarType.Float64).std().item<double>();
        return 1.0 / std;
    }

    /// <summary>Writes the training state; the VAE weights (raw) are part of it.</summary>
    public void SaveCheckpoint(string statePath) => SaveState(statePath);

    public override void Dispose()
    {
        base.Dispose();
        _random.Dispose();
        _discriminatorOptimizer?.Dispose();
        _discriminator?.Dispose();
        _copy?.Dispose();
    }
}
