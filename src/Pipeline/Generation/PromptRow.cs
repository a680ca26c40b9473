using System.Collections.Immutable;
using Pipeline.Conditioning;

namespace Pipeline.Generation;

/// <summary>
/// SDXL's micro-conditioning of one sample (sgm's conditioner batch fields): original size, crop top-left and target
/// size (read by the base) and the aesthetic scores of the conditional and unconditional branch (read by the refiner).
/// </summary>
public sealed record MicroConditioning(ImageSize OriginalSize, CropCoords Crop, ImageSize TargetSize,
    double AestheticScore = ConditionerInput.DefaultAestheticScore,
    double NegativeAestheticScore = ConditionerInput.DefaultNegativeAestheticScore)
{
    /// <summary>The "well-framed, high-resolution" setting of the SDXL paper: original = target = <paramref name="size"/>, no crop.</summary>
    public static MicroConditioning ForImage(ImageSize size) => new(size, default, size);

    /// <summary>Problems with these values (empty when valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (OriginalSize.Height < 1 || OriginalSize.Width < 1) p.Add($"original size {OriginalSize} must be positive");
        if (TargetSize.Height < 1 || TargetSize.Width < 1) p.Add($"target size {TargetSize} must be positive");
        if (Crop.Top < 0 || Crop.Left < 0) p.Add($"crop {Crop} must be non-negative");
        if (!double.IsFinite(AestheticScore) || !double.IsFinite(NegativeAestheticScore)) p.Add("aesthetic scores must be finite");
        return p;
    }
}

/// <summary>
/// One sample of a batch: its prompt, its negative prompt and its micro-conditioning. An empty (or whitespace)
/// negative prompt means sgm's zeroed unconditional text embeddings (<c>force_uc_zero_embeddings=["txt"]</c>);
/// any other negative prompt is encoded.
/// </summary>
public sealed record PromptRow(string Text, string Negative, MicroConditioning Micro)
{
    /// <summary>Whether the unconditional text embeddings of this row are zeros rather than an encoded negative prompt.</summary>
    public bool ZeroesNegative => string.IsNullOrWhiteSpace(Negative);

    /// <summary><paramref name="count"/> copies of one prompt (a batch of one prompt, e.g. several images of one seed).</summary>
    public static ImmutableArray<PromptRow> Repeat(string text, string negative, MicroConditioning micro, int count = 1) =>
        Enumerable.Repeat(new PromptRow(text, negative, micro), count).ToImmutableArray();

    /// <summary>One prompt for an image of <paramref name="size"/> with the default micro-conditioning.</summary>
    public static ImmutableArray<PromptRow> For(string text, ImageSize size, string negative = "", int count = 1) =>
        Repeat(text, negative, MicroConditioning.ForImage(size), count);
}
