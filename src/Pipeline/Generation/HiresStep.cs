using Pipeline.Conditioning;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Pipeline.Generation;

/// <summary>How the hires fix enlarges the first pass, under A1111's names: in latent space, or in pixels (decode, resize,
/// encode).</summary>
public enum HiresUpscaler
{
    /// <summary>"Latent": bilinear.</summary>
    Bilinear,
    /// <summary>"Latent (bicubic)".</summary>
    Bicubic,
    /// <summary>"Latent (nearest-exact)".</summary>
    NearestExact,
    /// <summary>"Lanczos": the first pass decoded, resized in pixels with a Lanczos-3 kernel, encoded again.</summary>
    Lanczos,
}

public static class HiresUpscalers
{
    /// <summary>A1111's label, recorded as <c>Hires upscaler</c>.</summary>
    public static string A1111Name(this HiresUpscaler upscaler) => upscaler switch
    {
        HiresUpscaler.Bilinear => "Latent",
        HiresUpscaler.Bicubic => "Latent (bicubic)",
        HiresUpscaler.Lanczos => "Lanczos",
        _ => "Latent (nearest-exact)",
    };

    /// <summary>Whether it works on decoded pixels rather than latents.</summary>
    public static bool IsPixel(this HiresUpscaler upscaler) => upscaler == HiresUpscaler.Lanczos;

    /// <summary>The CLI names: <c>latent</c>, <c>latent-bicubic</c>, <c>latent-nearest-exact</c>.</summary>
    public static HiresUpscaler Parse(string name) => name.ToLowerInvariant() switch
    {
        "latent" or "latent-bilinear" => HiresUpscaler.Bilinear,
        "latent-bicubic" => HiresUpscaler.Bicubic,
        "latent-nearest-exact" => HiresUpscaler.NearestExact,
        "lanczos" => HiresUpscaler.Lanczos,
        _ => throw new ArgumentException($"unknown hires upscaler '{name}'; valid: latent, latent-bicubic, latent-nearest-exact, lanczos"),
    };

    /// <summary>Latents (or, for <see cref="HiresUpscaler.Lanczos"/>, images) [B, C, h, w] resized to [B, C, height, width].</summary>
    public static Tensor Resize(this HiresUpscaler upscaler, Tensor latents, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(latents);
        var size = new[] { height, width };
        return upscaler switch
        {
            HiresUpscaler.Lanczos => Lanczos.Resize(latents, height, width),
            HiresUpscaler.Bilinear => nn.functional.interpolate(latents, size, mode: InterpolationMode.Bilinear, align_corners: false),
            HiresUpscaler.Bicubic => nn.functional.interpolate(latents, size, mode: InterpolationMode.Bicubic, align_corners: false),
            _ => nn.functional.interpolate(latents, size, mode: InterpolationMode.NearestExact),
        };
    }
}

/// <summary>
/// Separable Lanczos-3 resampling of images [B, C, H, W]: each output pixel is the weighted sum of the input pixels within
/// 3 (× the scale when shrinking) of its centre, weights sinc(x)·sinc(x/3), normalised to sum 1 (edges clamp).
/// </summary>
public static class Lanczos
{
    public static Tensor Resize(Tensor images, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4) throw new ArgumentException($"Lanczos resizes [B, C, H, W]; got [{string.Join(", ", images.shape)}]");
        using var scope = NewDisposeScope();
        var x = images.to(ScalarType.Float32);
        var rows = Weights(x.shape[2], height).to(x.device);    // [height, H]
        var cols = Weights(x.shape[3], width).to(x.device);     // [width, W]
        return rows.matmul(x).matmul(cols.t()).MoveToOuterDisposeScope();
    }

    /// <summary>The [outSize, inSize] resampling matrix.</summary>
    static Tensor Weights(long inSize, long outSize)
    {
        double scale = (double)inSize / outSize, support = 3 * Math.Max(1, scale);
        var w = new float[outSize * inSize];
        for (long o = 0; o < outSize; o++)
        {
            double centre = (o + 0.5) * scale - 0.5, sum = 0;
            var row = new double[inSize];
            for (long i = (long)Math.Floor(centre - support); i <= (long)Math.Ceiling(centre + support); i++)
            {
                double t = (i - centre) / Math.Max(1, scale);
                if (Math.Abs(t) >= 3) continue;
                double k = Sinc(t) * Sinc(t / 3);
                row[Math.Clamp(i, 0, inSize - 1)] += k;
                sum += k;
            }
            for (long i = 0; i < inSize; i++) w[o * inSize + i] = (float)(row[i] / sum);
        }
        return tensor(w, new[] { outSize, inSize });
    }

    static double Sinc(double x) => x == 0 ? 1 : Math.Sin(Math.PI * x) / (Math.PI * x);
}

/// <summary>
/// A1111's hires fix as a step of the plan: the first pass runs at the plan's size; its latent is enlarged to
/// <see cref="Size"/> with <see cref="Upscaler"/> and img2img'd there at <see cref="Strength"/> over <see cref="Sigmas"/>
/// (the share the strength selects runs, as img2img), with the plan's prompts (micro-conditioning at the new size), guider
/// and adapters, and <see cref="Sampler"/> or the plan's. Its noise comes from the plan's noise factory with seed + 2.
/// </summary>
public sealed record HiresStep(ImageSize Size, HiresUpscaler Upscaler, Sigmas Sigmas, double Strength, ISampler? Sampler = null)
{
    /// <summary>The sampler's registry name, if it came from one (printing and metadata).</summary>
    public string? SamplerName { get; init; }

    /// <summary>The schedule the second pass runs (img2img's tail of <see cref="Sigmas"/>).</summary>
    public Sigmas RunSigmas => Sigmas.From(Stages.ScheduleSplit.Img2ImgStart(Sigmas.Steps, Strength));

    /// <summary>Every problem with this step for a first pass of <paramref name="firstPass"/> (empty when valid).</summary>
    public IReadOnlyList<string> Problems(ImageSize firstPass)
    {
        var p = new List<string>();
        if (Size.Height % 8 != 0 || Size.Width % 8 != 0) p.Add($"hires size {Size.Width}x{Size.Height} must be a multiple of 8");
        if (Size.Height < firstPass.Height || Size.Width < firstPass.Width || Size == firstPass)
            p.Add($"hires size {Size.Width}x{Size.Height} must be larger than the first pass's {firstPass.Width}x{firstPass.Height}");
        if (!double.IsFinite(Strength) || Strength <= 0 || Strength > 1) p.Add($"hires denoising strength {Strength} must be more than 0 and at most 1");
        if (Sigmas is null) p.Add("the hires step has no schedule");
        else if (Sigmas.Steps < 1 || Sigmas.Steps > 1000) p.Add($"hires steps {Sigmas.Steps} must be in 1..1000");
        if (!Enum.IsDefined(Upscaler)) p.Add($"hires upscaler {Upscaler} is not one of {string.Join(", ", Enum.GetNames<HiresUpscaler>())}");
        return p;
    }
}
