using Pipeline.Models.Vae;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Trains a <see cref="TaesdDecoder"/> to stand in for a VAE's decoder (distillation): each batch's images are encoded
/// by the frozen VAE (posterior mode × scale factor: the latents samplers produce) and decoded by it; the tiny decoder
/// learns to reproduce that decode from the latents, loss mean |d − t| + mean (d − t)² on [0, 1] images.
/// </summary>
public sealed class TaesdTrainer : Trainer
{
    public AutoencoderKL Vae { get; }
    public TaesdDecoder Decoder { get; }

    public TaesdTrainer(AutoencoderKL vae, TaesdDecoder decoder, ITrainingData data, TrainingSettings settings) : base(settings, data)
    {
        Vae = vae ?? throw new ArgumentNullException(nameof(vae));
        Decoder = decoder ?? throw new ArgumentNullException(nameof(decoder));
        if (decoder.LatentChannels != vae.Config.EmbedDim)
            throw new ArgumentException($"the decoder takes {decoder.LatentChannels} latent channels, the VAE makes {vae.Config.EmbedDim}");
        foreach (var p in decoder.parameters()) p.requires_grad = true;
        Initialize(decoder.named_parameters().Select(np => (np.name, np.parameter)).ToList());
    }

    protected override string Kind => "taesd";

    protected override IEnumerable<(string Prefix, nn.Module Module)> StateModules => new (string, nn.Module)[] { ("", Decoder) };

    protected override IEnumerable<(string Name, Func<Tensor> Get, Action<Tensor> Set)> Generators => Array.Empty<(string, Func<Tensor>, Action<Tensor>)>();

    protected override Tensor Loss(TrainingBatch batch)
    {
        Tensor latents, target;
        using (no_grad())
        {
            var x = batch.Images.to(ScalarType.Float32, Vae.parameters().First().device);
            using var posterior = Vae.Encode(x);
            double scale = Vae.Config.ScaleFactor;
            latents = posterior.Mode() * scale;
            target = ((Vae.Decode(latents / scale) + 1) / 2).clamp(0, 1);
        }
        var diff = Decoder.call(latents) - target;
        return diff.abs().mean() + diff.square().mean();
    }
}
