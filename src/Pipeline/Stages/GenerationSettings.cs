using Pipeline.Conditioning;

namespace Pipeline.Stages;

/// <summary>
/// What to generate. Sizes follow SDXL's micro-conditioning: original size and target size default to the
/// image size, crop to (0, 0) — the "well-framed, high-resolution" setting of the SDXL paper.
/// </summary>
public sealed record GenerationSettings(
    string Prompt,
    string NegativePrompt = "",
    int Width = 1024,
    int Height = 1024,
    int Steps = 30,
    double CfgScale = 5.0,
    string Sampler = "euler",
    string Schedule = "legacy_ddpm",
    long Seed = 0,
    int BatchSize = 1,
    ImageSize? OriginalSize = null,
    CropCoords Crop = default,
    ImageSize? TargetSize = null)
{
    public ImageSize EffectiveOriginalSize => OriginalSize ?? new ImageSize(Height, Width);
    public ImageSize EffectiveTargetSize => TargetSize ?? new ImageSize(Height, Width);

    /// <summary>Every problem with these settings (empty when valid).</summary>
    public IReadOnlyList<string> Problems(int downscaleFactor = 8)
    {
        var p = new List<string>();
        if (Prompt is null) p.Add("prompt must not be null");
        if (NegativePrompt is null) p.Add("negative prompt must not be null (use \"\")");
        if (Width < downscaleFactor || Width % downscaleFactor != 0) p.Add($"width {Width} must be a positive multiple of {downscaleFactor}");
        if (Height < downscaleFactor || Height % downscaleFactor != 0) p.Add($"height {Height} must be a positive multiple of {downscaleFactor}");
        if (Steps < 1 || Steps > 1000) p.Add($"steps {Steps} must be in 1..1000");
        if (!double.IsFinite(CfgScale) || CfgScale < 0) p.Add($"cfg scale {CfgScale} must be finite and >= 0");
        if (BatchSize < 1 || BatchSize > 64) p.Add($"batch size {BatchSize} must be in 1..64");
        if (EffectiveOriginalSize.Height < 1 || EffectiveOriginalSize.Width < 1) p.Add($"original size {EffectiveOriginalSize} must be positive");
        if (EffectiveTargetSize.Height < 1 || EffectiveTargetSize.Width < 1) p.Add($"target size {EffectiveTargetSize} must be positive");
        if (Crop.Top < 0 || Crop.Left < 0) p.Add($"crop {Crop} must be non-negative");
        return p;
    }

    public GenerationSettings Validate(int downscaleFactor = 8)
    {
        var problems = Problems(downscaleFactor);
        if (problems.Count > 0) throw new ArgumentException("invalid generation settings: " + string.Join("; ", problems));
        return this;
    }
}
