using Pipeline.Diffusion.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>
/// Inpainting with any model (masked img2img), as pure functions over tensors. The sampler runs unchanged on a wrapped
/// denoiser (ComfyUI's approach, written here from its description): at every call the model sees the latent with the
/// kept region replaced by the init latent noised to the current σ with the run's own noise draw, and its prediction is
/// replaced by the clean init latent there — so with any deterministic sampler the kept region of the sampler's state is
/// exactly init + n·σ at every step (diffusers' per-step replacement) and the clean init at the end. The decoded image is
/// composited onto the original pixels with the blurred mask.
/// </summary>
public static class InpaintStage
{
    /// <summary>
    /// A separable Gaussian blur of standard deviation <paramref name="blur"/> pixels over a mask [B, 1, H, W] (kernel
    /// 2·⌊2.5·blur + 0.5⌋ + 1 wide, as A1111; borders mirrored, or repeated when the image is smaller than the kernel),
    /// normalised so that an all-white region stays exactly 1 and an all-black one exactly 0; blur 0 returns a copy.
    /// </summary>
    public static Tensor BlurMask(Tensor mask, int blur)
    {
        ArgumentNullException.ThrowIfNull(mask);
        if (mask.dim() != 4 || mask.shape[1] != 1) throw new ArgumentException($"a mask is [B, 1, H, W]; got [{string.Join(", ", mask.shape)}]");
        if (blur < 0) throw new ArgumentException($"mask blur {blur} must be >= 0");
        using var scope = NewDisposeScope();
        var m = mask.to(ScalarType.Float32);
        if (blur == 0) return m.clone().MoveToOuterDisposeScope();
        int radius = (int)(2.5 * blur + 0.5);
        var x = arange(-radius, radius + 1, dtype: ScalarType.Float64);
        var kernel = exp(-(x * x) / (2.0 * blur * blur));
        kernel = (kernel / kernel.sum()).to(ScalarType.Float32, m.device);
        Tensor Pass(Tensor t, bool horizontal)
        {
            long size = t.shape[horizontal ? 3 : 2];
            var pad = horizontal ? new long[] { radius, radius, 0, 0 } : new long[] { 0, 0, radius, radius };
            var padded = nn.functional.pad(t, pad, radius < size ? PaddingModes.Reflect : PaddingModes.Replicate);
            var weight = horizontal ? kernel.reshape(1, 1, 1, -1) : kernel.reshape(1, 1, -1, 1);
            return nn.functional.conv2d(padded, weight);
        }
        // Divided by the blur of an all-white mask, so white stays exactly 1 and black exactly 0.
        var ones = ones_like(m);
        return (Pass(Pass(m, horizontal: true), horizontal: false) / Pass(Pass(ones, horizontal: true), horizontal: false))
            .clamp(0, 1).MoveToOuterDisposeScope();
    }

    /// <summary>The pixel mask [B, 1, H, W] averaged over each latent cell ([B, 1, H/f, W/f]).</summary>
    public static Tensor LatentMask(Tensor pixelMask, int factor)
    {
        ArgumentNullException.ThrowIfNull(pixelMask);
        if (factor < 1 || pixelMask.shape[2] % factor != 0 || pixelMask.shape[3] % factor != 0)
            throw new ArgumentException($"mask [{string.Join(", ", pixelMask.shape)}] does not divide into latent cells of {factor} pixels");
        return factor == 1 ? pixelMask.clone() : nn.functional.avg_pool2d(pixelMask, factor, factor);
    }

    /// <summary>
    /// The denoiser for masked sampling: D'(x, σ) = m·D(m·x + (1 − m)·(x₀ + n·σ), σ) + (1 − m)·x₀, with m the latent mask
    /// (1 = repaint), x₀ the clean init latent and n the noise the run started from (x = x₀ + n·σ₀). The parts that do
    /// not change between steps (1 − m and (1 − m)·x₀) are computed once, in the caller's dispose scope.
    /// </summary>
    public static DenoiseFunction Wrap(DenoiseFunction inner, Tensor clean, Tensor noise, Tensor latentMask)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(clean);
        ArgumentNullException.ThrowIfNull(noise);
        ArgumentNullException.ThrowIfNull(latentMask);
        var keep = 1 - latentMask;
        var keptClean = keep * clean;
        return (x, sigma) =>
        {
            using var scope = NewDisposeScope();
            var s = sigma.dim() == 0 ? sigma : sigma.reshape(-1, 1, 1, 1);
            var seen = latentMask * x + keep * (clean + noise * s.to(clean.dtype));
            var denoised = inner(seen, sigma);
            return (latentMask * denoised + keptClean).MoveToOuterDisposeScope();
        };
    }

    /// <summary>The decoded images [B, 3, H, W] in [0, 1] where the blurred mask repaints, the original pixels elsewhere.</summary>
    public static Tensor Composite(Tensor decoded, Tensor original, Tensor pixelMask)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        ArgumentNullException.ThrowIfNull(original);
        ArgumentNullException.ThrowIfNull(pixelMask);
        using var scope = NewDisposeScope();
        var m = pixelMask.to(decoded.dtype, decoded.device);
        return (m * decoded + (1 - m) * original.to(decoded.dtype, decoded.device)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// What an inpainting model (9 UNet input channels) gets besides the latent, as diffusers and sgm's <c>concat</c> key
    /// build it: the mask (binarised at 0.5, resized to the latent grid, nearest) and the latent of the image with the
    /// masked pixels set to grey (0.5), [B, 1 + C, h, w] in that order.
    /// </summary>
    public static Tensor ModelConcat(Models.Bundles.SdxlModel model, Tensor images01, Tensor mask, int batch, Generation.EncodeOptions? encode = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(images01);
        ArgumentNullException.ThrowIfNull(mask);
        using var scope = NewDisposeScope();
        int f = model.Config.Vae.DownscaleFactor;
        var binary = mask.to(ScalarType.Float32, model.Device).ge(0.5).to(ScalarType.Float32);
        var masked = images01.to(ScalarType.Float32, model.Device) * (1 - binary) + 0.5f * binary;
        var maskedLatent = EncodeStage.Run(model, masked.expand(batch, -1, -1, -1), batch, encode);
        var small = nn.functional.interpolate(binary, new[] { binary.shape[2] / f, binary.shape[3] / f }, mode: InterpolationMode.Nearest)
            .expand(batch, -1, -1, -1);
        return cat(new[] { small, maskedLatent }, 1).MoveToOuterDisposeScope();
    }

    /// <summary><paramref name="pair"/> with <paramref name="concat"/> as the concat conditioning of both branches.</summary>
    public static ConditioningPair WithConcat(ConditioningPair pair, Tensor concat) =>
        new(pair.Cond with { Concat = concat }, pair.Uncond with { Concat = concat });
}
