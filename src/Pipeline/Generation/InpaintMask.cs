using static TorchSharp.torch;

namespace Pipeline.Generation;

/// <summary>
/// The repaint mask of an inpainting plan (masked img2img with any model): [1 or B, 1, H, W] in [0, 1] at the image's
/// pixel size, white (1) = repaint, black (0) = keep. It is blurred by a Gaussian of standard deviation
/// <see cref="Blur"/> pixels (A1111's "Mask blur", default 4), averaged down to the latent grid for the sampler, and the
/// blurred pixel mask composites the decoded result onto the original pixels. The plan does not own the tensor.
/// </summary>
public sealed record InpaintMask(Tensor Mask, int Blur = 4)
{
    /// <summary>The largest blur accepted (pixels).</summary>
    public const int MaxBlur = 64;

    /// <summary>A mask from an image [1 or B, C, H, W] in [0, 1]: the mean over its channels (a grey or RGB PNG).</summary>
    public static InpaintMask FromImage(Tensor image01, int blur = 4)
    {
        ArgumentNullException.ThrowIfNull(image01);
        if (image01.dim() != 4) throw new ArgumentException($"a mask image is [B, C, H, W]; got [{string.Join(", ", image01.shape)}]");
        return new InpaintMask(image01.mean(new long[] { 1 }, keepdim: true), blur);
    }
}
