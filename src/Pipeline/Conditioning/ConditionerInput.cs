namespace Pipeline.Conditioning;

/// <summary>An image size as sgm's size-conditioning tuples hold it: (height, width) in pixels.</summary>
public readonly record struct ImageSize(int Height, int Width);

/// <summary>A crop's top-left corner as sgm's <c>crop_coords_top_left</c> holds it: (top, left) in pixels.</summary>
public readonly record struct CropCoords(int Top, int Left);

/// <summary>
/// One row of a conditioner batch: the fields of sgm's conditioner <c>batch</c> dict for one prompt.
/// Token ids come from the tokenizers (77 ids per prompt: CLIP-L pads with 49407, OpenCLIP with 0); an encoder the
/// conditioner does not have may be left null (the refiner has no CLIP-L). The base model reads
/// <see cref="OriginalSize"/>, <see cref="CropTopLeft"/> and <see cref="TargetSize"/>; the refiner reads
/// <see cref="OriginalSize"/>, <see cref="CropTopLeft"/> and <see cref="AestheticScore"/>. The conditional and the
/// unconditional branch are separate rows with their own values.
/// </summary>
public sealed record ConditionerInput(
    int[]? ClipLTokens,
    int[]? OpenClipTokens,
    ImageSize OriginalSize,
    CropCoords CropTopLeft,
    ImageSize TargetSize,
    double AestheticScore = ConditionerInput.DefaultAestheticScore)
{
    /// <summary>Per-token weights and textual-inversion vectors for the CLIP-L ids (null: none).</summary>
    public TextTokenExtras? ClipLExtras { get; init; }

    /// <summary>Per-token weights and textual-inversion vectors for the OpenCLIP ids (null: none).</summary>
    public TextTokenExtras? OpenClipExtras { get; init; }

    /// <summary>How the text encoders apply the token weights (all rows of a batch share it).</summary>
    public TokenEmphasis Emphasis { get; init; } = TokenEmphasis.None;

    /// <summary>sgm's default refiner aesthetic score for the prompt.</summary>
    public const double DefaultAestheticScore = 6.0;

    /// <summary>sgm's default refiner aesthetic score for the negative (unconditional) branch.</summary>
    public const double DefaultNegativeAestheticScore = 2.5;

    /// <summary>The usual generation inputs: original = target = <paramref name="size"/>, no crop.</summary>
    public static ConditionerInput ForImage(int[]? clipLTokens, int[]? openClipTokens, ImageSize size,
        double aestheticScore = DefaultAestheticScore) =>
        new(clipLTokens, openClipTokens, size, new CropCoords(0, 0), size, aestheticScore);

    /// <summary>Problems with this row's size/crop/score values (empty when valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (OriginalSize.Height < 1 || OriginalSize.Width < 1) problems.Add($"original size {OriginalSize} must be positive");
        if (TargetSize.Height < 1 || TargetSize.Width < 1) problems.Add($"target size {TargetSize} must be positive");
        if (CropTopLeft.Top < 0 || CropTopLeft.Left < 0) problems.Add($"crop {CropTopLeft} must be non-negative");
        if (!double.IsFinite(AestheticScore)) problems.Add($"aesthetic score {AestheticScore} must be finite");
        return problems;
    }
}
