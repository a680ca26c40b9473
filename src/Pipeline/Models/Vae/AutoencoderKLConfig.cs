using System.Text;

namespace Pipeline.Models.Vae;

/// <summary>
/// sgm <c>AutoencoderKL(embed_dim, ddconfig)</c> hyper-parameters (names after the yaml keys) plus the
/// <c>scale_factor</c> that <c>DiffusionEngine</c> applies to latents (multiply after encoding, divide before decoding).
/// <see cref="NormGroups"/> is the GroupNorm group count (sgm: always 32; not stored in a checkpoint's tensors). Narrow
/// VAEs need fewer: with one channel per group a GroupNorm subtracts each channel's own mean and so maps every flat
/// image to the same activation, and a decoder trained that way paints a structure into flat images (a speck or ring)
/// to carry their colour through its normalisations.
/// </summary>
public sealed record AutoencoderKLConfig(
    int EmbedDim,
    int Ch,
    IReadOnlyList<int> ChMult,
    int NumResBlocks,
    IReadOnlyList<int> AttnResolutions,
    int ZChannels,
    bool DoubleZ,
    int Resolution,
    int InChannels,
    int OutCh,
    double ScaleFactor = 0.13025,
    double Dropout = 0.0,
    int NormGroups = Normalize.SgmGroups)
{
    /// <summary>The SDXL VAE (<c>first_stage_config</c>, identical in the base and refiner yamls).</summary>
    public static AutoencoderKLConfig Sdxl { get; } = new(
        EmbedDim: 4, Ch: 128, ChMult: [1, 2, 4, 4], NumResBlocks: 2, AttnResolutions: [],
        ZChannels: 4, DoubleZ: true, Resolution: 256, InChannels: 3, OutCh: 3, ScaleFactor: 0.13025);

    public int Levels => ChMult.Count;

    /// <summary>Image side / latent side: 2^(levels - 1) (8 for SDXL).</summary>
    public int DownscaleFactor => 1 << (Levels - 1);

    /// <summary>Throws <see cref="ArgumentException"/> naming every inconsistent value.</summary>
    public AutoencoderKLConfig Validate()
    {
        var errors = new List<string>();
        if (EmbedDim < 1) errors.Add($"EmbedDim must be >= 1 (got {EmbedDim})");
        if (NormGroups < 1) errors.Add($"NormGroups must be >= 1 (got {NormGroups})");
        else if (Ch < 1 || Ch % NormGroups != 0) errors.Add($"Ch must be a positive multiple of NormGroups ({NormGroups} GroupNorm groups), got {Ch}");
        if (ChMult is null || ChMult.Count == 0 || ChMult.Any(m => m < 1))
            errors.Add($"ChMult must be a non-empty list of positive multipliers (got [{string.Join(", ", ChMult ?? [])}])");
        if (NumResBlocks < 1) errors.Add($"NumResBlocks must be >= 1 (got {NumResBlocks})");
        if (AttnResolutions is null) errors.Add("AttnResolutions must not be null (use [] for none)");
        if (ZChannels < 1) errors.Add($"ZChannels must be >= 1 (got {ZChannels})");
        if (Resolution < 1) errors.Add($"Resolution must be >= 1 (got {Resolution})");
        if (InChannels < 1 || OutCh < 1) errors.Add($"InChannels and OutCh must be >= 1 (got {InChannels}, {OutCh})");
        if (!(ScaleFactor > 0) || double.IsInfinity(ScaleFactor)) errors.Add($"ScaleFactor must be positive and finite (got {ScaleFactor})");
        if (Dropout is < 0 or >= 1) errors.Add($"Dropout must be in [0, 1) (got {Dropout})");
        if (Ch > Models.ModelBounds.MaxChannels || (ChMult?.Any(m => m > Models.ModelBounds.MaxChannelMult) ?? false) || ChMult is { Count: > Models.ModelBounds.MaxLevels }
            || NumResBlocks > Models.ModelBounds.MaxBlocksPerLevel || EmbedDim > Models.ModelBounds.MaxChannels || ZChannels > Models.ModelBounds.MaxChannels
            || InChannels > Models.ModelBounds.MaxChannels || OutCh > Models.ModelBounds.MaxChannels || Resolution > Models.ModelBounds.MaxWidth)
            errors.Add($"a count or width is above the model bounds (channels ≤ {Models.ModelBounds.MaxChannels}, levels ≤ {Models.ModelBounds.MaxLevels}, blocks ≤ {Models.ModelBounds.MaxBlocksPerLevel})");
        if (errors.Count > 0) throw new ArgumentException("invalid AutoencoderKLConfig: " + string.Join("; ", errors));
        return this;
    }

    public bool Equals(AutoencoderKLConfig? other) =>
        other is not null && EmbedDim == other.EmbedDim && Ch == other.Ch && Same(ChMult, other.ChMult) &&
        NumResBlocks == other.NumResBlocks && Same(AttnResolutions, other.AttnResolutions) &&
        ZChannels == other.ZChannels && DoubleZ == other.DoubleZ && Resolution == other.Resolution &&
        InChannels == other.InChannels && OutCh == other.OutCh && ScaleFactor.Equals(other.ScaleFactor) &&
        Dropout.Equals(other.Dropout) && NormGroups == other.NormGroups;

    public override int GetHashCode() => HashCode.Combine(EmbedDim, Ch, ChMult?.Count, NumResBlocks, ZChannels, ScaleFactor);

    static bool Same(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b));

    bool PrintMembers(StringBuilder b)
    {
        static string L(IReadOnlyList<int>? l) => l is null ? "null" : $"[{string.Join(", ", l)}]";
        b.Append($"EmbedDim = {EmbedDim}, Ch = {Ch}, ChMult = {L(ChMult)}, NumResBlocks = {NumResBlocks}, ");
        b.Append($"AttnResolutions = {L(AttnResolutions)}, ZChannels = {ZChannels}, DoubleZ = {DoubleZ}, Resolution = {Resolution}, ");
        b.Append($"InChannels = {InChannels}, OutCh = {OutCh}, ScaleFactor = {ScaleFactor}, Dropout = {Dropout}, NormGroups = {NormGroups}");
        return true;
    }
}
