using Pipeline.Conditioning;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Pipeline.Generation;

/// <summary>How the hires fix enlarges the first pass's latent, under A1111's names.</summary>
public enum LatentUpscaler
{
    /// <summary>"Latent": bilinear.</summary>
    Bilinear,
    /// <summary>"Latent (bicubic)".</summary>
    Bicubic,
    /// <summary>"Latent (nearest-exact)".</summary>
    NearestExact,
}

public static class LatentUpscalers
{
    /// <summary>A1111's label, recorded as <c>Hires upscaler</c>.</summary>
    public static string A1111Name(this LatentUpscaler upscaler) => upscaler switch
    {
        LatentUpscaler.Bilinear => "Latent",
        LatentUpscaler.Bicubic => "Latent (bicubic)",
        _ => "Latent (nearest-exact)",
    };

    /// <summary>The CLI names: <c>latent</c>, <c>latent-bicubic</c>, <c>latent-nearest-exact</c>.</summary>
    public static LatentUpscaler Parse(string name) => name.ToLowerInvariant() switch
    {
        "latent" or "latent-bilinear" => LatentUpscaler.Bilinear,
        "latent-bicubic" => LatentUpscaler.Bicubic,
        "latent-nearest-exact" => LatentUpscaler.NearestExact,
        _ => throw new ArgumentException($"unknown hires upscaler '{name}'; valid: latent, latent-bicubic, latent-nearest-exact"),
    };

    /// <summary>Latents [B, C, h, w] resized to [B, C, height, width].</summary>
    public static Tensor Resize(this LatentUpscaler upscaler, Tensor latents, long height, long width)
    {
        ArgumentNullException.ThrowIfNull(latents);
        var size = new[] { height, width };
        return upscaler switch
        {
            LatentUpscaler.Bilinear => nn.functional.interpolate(latents, size, mode: InterpolationMode.Bilinear, align_corners: false),
            LatentUpscaler.Bicubic => nn.functional.interpolate(latents, size, mode: InterpolationMode.Bicubic, align_corners: false),
            _ => nn.functional.interpolate(latents, size, mode: InterpolationMode.NearestExact),
        };
    }
}

/// <summary>
/// A1111's hires fix as a step of the plan: the first pass runs at the plan's size; its latent is enlarged to
/// <see cref="Size"/> with <see cref="Upscaler"/> and img2img'd there at <see cref="Strength"/> over <see cref="Sigmas"/>
/// (the share the strength selects runs, as img2img), with the plan's prompts (micro-conditioning at the new size), guider
/// and adapters, and <see cref="Sampler"/> or the plan's. Its noise comes from the plan's noise factory with seed + 2.
/// </summary>
public sealed record HiresStep(ImageSize Size, LatentUpscaler Upscaler, Sigmas Sigmas, double Strength, ISampler? Sampler = null)
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
        if (!Enum.IsDefined(Upscaler)) p.Add($"hires upscaler {Upscaler} is not one of {string.Join(", ", Enum.GetNames<LatentUpscaler>())}");
        return p;
    }
}
