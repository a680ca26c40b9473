using Pipeline.Models.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Trains a <see cref="TaesdEncoder"/> to stand in for a VAE's encoder (distillation): the frozen VAE encodes each batch
/// (posterior mode × scale factor: the latents samplers start img2img from); the tiny encoder learns to produce them from
/// the [0, 1] images, loss mean |e − z| + mean (e − z)².
/// </summary>
public sealed class TaesdEncoderTrainer : Trainer
{
    public AutoencoderKL Vae { get; }
    public TaesdEncoder Encoder { get; }

    public TaesdEncoderTrainer(AutoencoderKL vae, TaesdEncoder encoder, ITrainingData data, TrainingSettings settings) : base(settings, data)
    {
        Vae = vae ?? throw new ArgumentNullException(nameof(vae));
        Encoder = encoder ?? throw new ArgumentNullException(nameof(encoder));
        if (encoder.LatentChannels != vae.Config.EmbedDim)
            throw new ArgumentException($"the encoder makes {encoder.LatentChannels} latent channels, the VAE {vae.Config.EmbedDim}");
        foreach (var p in encoder.parameters()) p.requires_grad = true;
        Initialize(encoder.named_parameters().Select(np => (np.name, np.parameter)).ToList());
    }

    protected override string Kind => "taesd-encoder";

    protected override IEnumerable<(string Prefix, nn.Module Module)> StateModules => new (string, nn.Module)[] { ("", Encoder) };

    protected override IEnumerable<(string Name, Func<Tensor> Get, Action<Tensor> Set)> Generators => Array.Empty<(string, Func<Tensor>, Action<Tensor>)>();

    protected override Tensor Loss(TrainingBatch batch)
    {
        Tensor images, target;
        using (no_grad())
        {
            var x = batch.Images.to(ScalarType.Float32, Vae.parameters().First().device);
            using var posterior = Vae.Encode(x);
            target = posterior.Mode() * Vae.Config.ScaleFactor;
            images = ((x + 1) / 2).clamp(0, 1);
        }
        var diff = Encoder.call(images) - target;
        return diff.abs().mean() + diff.square().mean();
    }
}
