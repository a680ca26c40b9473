using Pipeline.Models.Vae;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Trains a <see cref="TaesdDecoder"/> to stand in for a VAE's decoder: each batch's images are encoded by the frozen VAE
/// (posterior mode × scale factor: the latents samplers produce) and decoded by it; the tiny decoder learns that decode
/// ([0, 1] images) from the latents.
/// </summary>
public sealed class TaesdTrainer : VaeDistillationTrainer
{
    public TaesdDecoder Decoder { get; }

    /// <param name="teacherDType">the dtype of the VAE copy that makes the pairs (null: the VAE itself)</param>
    public TaesdTrainer(AutoencoderKL vae, TaesdDecoder decoder, ITrainingData data, TrainingSettings settings, ScalarType? teacherDType = null)
        : base(vae, decoder ?? throw new ArgumentNullException(nameof(decoder)), decoder.LatentChannels, "decoder", data, settings, teacherDType) => Decoder = decoder;

    protected override string Kind => "taesd";

    protected override (Tensor Input, Tensor Target) Pair(Tensor x)
    {
        using var posterior = Teacher.Encode(x);
        double scale = Teacher.Config.ScaleFactor;
        var latents = posterior.Mode() * scale;
        return (latents, ((Teacher.Decode(latents / scale) + 1) / 2).clamp(0, 1));
    }
}
