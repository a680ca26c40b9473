using static TorchSharp.torch;

namespace Pipeline.Generation;

/// <summary>
/// Where an img2img plan starts: an image [B, 3, H, W] in [0, 1] (encoded by the VAE) or a latent [B, C, h, w] (e.g. the
/// output of another plan), and the strength: the share of the schedule that runs (sgm's img2img). B is 1 or the batch
/// size. With a <see cref="Mask"/> the plan inpaints: only the masked region is repainted (see <see cref="InpaintMask"/>).
/// The plan does not own the tensors.
/// </summary>
public sealed record InitInput(Tensor Tensor, bool IsLatent, double Strength)
{
    /// <summary>The repaint mask (null: plain img2img).</summary>
    public InpaintMask? Mask { get; init; }

    /// <summary>This input with <paramref name="mask"/>: masked img2img.</summary>
    public InitInput WithMask(InpaintMask mask) => this with { Mask = mask };

    public static InitInput FromImage(Tensor images01, double strength) => new(images01, false, strength);
    public static InitInput FromLatent(Tensor latent, double strength) => new(latent, true, strength);
}
