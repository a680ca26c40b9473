using Pipeline.Models.Vae;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Trains a <see cref="TaesdEncoder"/> to stand in for a VAE's encoder: the frozen VAE encodes each batch (posterior
/// mode × scale factor: the latents samplers start img2img from); the tiny encoder learns them from the [0, 1] images.
/// </summary>
public sealed class TaesdEncoderTrainer : VaeDistillationTrainer
{
    public TaesdEncoder Encoder { get; }

    /// <param name="teacherDType">the dtype of the VAE copy that makes the pairs (null: the VAE itself)</param>
    public TaesdEncoderTrainer(AutoencoderKL vae, TaesdEncoder encoder, ITrainingData data, TrainingSettings settings, ScalarType? teacherDType = null)
        : base(vae, encoder ?? throw new ArgumentNullException(nameof(encoder)), encoder.LatentChannels, "encoder", data, settings, teacherDType) => Encoder = encoder;

    protected override string Kind => "taesd-encoder";

    protected override (Tensor Input, Tensor Target) Pair(Tensor x)
    {
        using var posterior = Teacher.Encode(x);
        return (((x + 1) / 2).clamp(0, 1), posterior.Mode() * Teacher.Config.ScaleFactor);
    }
}
