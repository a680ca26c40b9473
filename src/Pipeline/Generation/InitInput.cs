using static TorchSharp.torch;

namespace Pipeline.Generation;

/// <summary>
/// Where an img2img plan starts: an image [B, 3, H, W] in [0, 1] (encoded by the VAE) or a latent [B, C, h, w] (e.g. the
/// output of another plan), and the strength: the share of the schedule that runs (sgm's img2img). B is 1 or the batch
/// size. The plan does not own the tensor.
/// </summary>
public sealed record InitInput(Tensor Tensor, bool IsLatent, double Strength)
{
    public static InitInput FromImage(Tensor images01, double strength) => new(images01, false, strength);
    public static InitInput FromLatent(Tensor latent, double strength) => new(latent, true, strength);
}
