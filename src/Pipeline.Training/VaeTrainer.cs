using Pipeline.Diffusion.Training;
using Pipeline.Models.Vae;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Trains an <see cref="AutoencoderKL"/> on <see cref="TrainingBatch.Images"/>: encode → posterior sample (seeded) →
/// decode; loss per image Σ|x − x̂| + L2Weight·Σ(x − x̂)² + EdgeWeight·Σ|∇x − ∇x̂| (horizontal and vertical neighbour
/// differences) + KlWeight·KL (sgm's KL-regularised autoencoder loss without GAN and LPIPS, plus an edge term), divided by the image's element count; mean over the batch. With
/// <see cref="VaeTrainingSettings.DecoderOnly"/> the encoder and <c>quant_conv</c> are frozen (encoded without a graph)
/// and only <c>post_quant_conv</c> and the decoder learn.
/// </summary>
public sealed class VaeTrainer : Trainer
{
    readonly SeededRandom _random;

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
    }

    /// <summary>Whether a VAE parameter is on the decoder side (<c>post_quant_conv.*</c>, <c>decoder.*</c>).</summary>
    public static bool IsDecoderSide(string name) =>
        name.StartsWith("decoder.", StringComparison.Ordinal) || name.StartsWith("post_quant_conv.", StringComparison.Ordinal);

    protected override string Kind => "vae";

    protected override IEnumerable<(string Prefix, nn.Module Module)> StateModules => new (string, nn.Module)[] { ("", Vae) };

    protected override IEnumerable<(string Name, Func<Tensor> Get, Action<Tensor> Set)> Generators => new (string, Func<Tensor>, Action<Tensor>)[]
    {
        ("loss", _random.GetState, _random.SetState),
    };

    protected override Tensor Loss(TrainingBatch batch)
    {
        var x = batch.Images.to(ScalarType.Float32, Vae.parameters().First().device);
        DiagonalGaussianDistribution posterior;
        using (Settings.DecoderOnly ? no_grad() : null) posterior = Vae.Encode(x);
        using var disposePosterior = posterior;
        var z = posterior.Sample(_random.Normal(posterior.Mean.shape, CPU));
        var reconstruction = Vae.Decode(z);
        var diff = reconstruction - x;
        long b = x.shape[0];
        double elements = x.numel() / (double)b;
        var perImage = diff.abs().reshape(b, -1).sum(1);
        if (Settings.L2Weight > 0) perImage = perImage + Settings.L2Weight * diff.square().reshape(b, -1).sum(1);
        if (Settings.EdgeWeight > 0) perImage = perImage + Settings.EdgeWeight * EdgeError(diff);
        if (Settings.KlWeight > 0) perImage = perImage + Settings.KlWeight * posterior.Kl();
        return (perImage / elements).mean();
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
    }
}
