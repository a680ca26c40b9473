using System.Text;

namespace Pipeline.Models.Unet;

/// <summary>
/// The hyper-parameters of sgm's <c>openaimodel.UNetModel</c> that SDXL uses (names after the sgm yaml keys).
/// Per-level lists have one entry per <see cref="ChannelMult"/> entry; use <see cref="PerLevel"/> where sgm
/// accepts a single int. <see cref="ContextDim"/> is sgm's <c>context_dim</c>: one value for every transformer
/// block, or a per-block list (its length must equal a transformer's depth, otherwise its values must all be
/// equal, as in sgm); null means no cross-attention context (attn2 attends to the features themselves).
/// <see cref="AdmInChannels"/> non-null means <c>num_classes: sequential</c> (the <c>label_emb</c> MLP on the
/// <c>vector</c> conditioning). Not modelled (fixed at the SDXL values): dims 2, conv_resample, no
/// scale-shift norm, no resblock up/down, no disabled self-attention, every res block gets attention.
/// <see cref="NormGroups"/> is the GroupNorm group count of the res blocks, transformers and output (sgm: always 32;
/// not stored in a checkpoint's tensors, so stored configs without it read as 32). Narrow UNets need fewer: at 32 channels,
/// 32 groups normalise every channel alone and erase its spatial mean (see the VAE's NormGroups).
/// </summary>
public sealed record UNetConfig(
    int InChannels,
    int OutChannels,
    int ModelChannels,
    IReadOnlyList<int> ChannelMult,
    IReadOnlyList<int> NumResBlocks,
    IReadOnlyList<int> AttentionResolutions,
    IReadOnlyList<int> TransformerDepth,
    IReadOnlyList<int>? ContextDim,
    int NumHeadChannels = 64,
    int NumHeads = -1,
    bool UseLinearInTransformer = true,
    int? AdmInChannels = null,
    int? TransformerDepthMiddle = null,
    double Dropout = 0.0,
    int NormGroups = 32)
{
    /// <summary>sgm <c>configs/inference/sd_xl_base.yaml</c> network_config.</summary>
    public static UNetConfig SdxlBase { get; } = new(
        InChannels: 4, OutChannels: 4, ModelChannels: 320,
        ChannelMult: [1, 2, 4],
        NumResBlocks: PerLevel(2, 3),
        AttentionResolutions: [4, 2],
        TransformerDepth: [1, 2, 10],
        ContextDim: [2048],
        NumHeadChannels: 64,
        UseLinearInTransformer: true,
        AdmInChannels: 2816);

    /// <summary>sgm <c>configs/inference/sd_xl_refiner.yaml</c> network_config.</summary>
    public static UNetConfig SdxlRefiner { get; } = new(
        InChannels: 4, OutChannels: 4, ModelChannels: 384,
        ChannelMult: [1, 2, 4, 4],
        NumResBlocks: PerLevel(2, 4),
        AttentionResolutions: [4, 2],
        TransformerDepth: PerLevel(4, 4),
        ContextDim: [1280, 1280, 1280, 1280],
        NumHeadChannels: 64,
        UseLinearInTransformer: true,
        AdmInChannels: 2560);

    /// <summary>sgm's "int means the same value at every level".</summary>
    public static IReadOnlyList<int> PerLevel(int value, int levels) => Enumerable.Repeat(value, levels).ToArray();

    public int Levels => ChannelMult.Count;

    /// <summary>Width of the timestep (and label) embedding: 4 × model_channels.</summary>
    public int TimeEmbedDim => ModelChannels * 4;

    /// <summary>Depth of the middle block's transformer (sgm default: the last per-level depth).</summary>
    public int MiddleDepth => TransformerDepthMiddle ?? TransformerDepth[^1];

    /// <summary>H and W of the input must be multiples of this for the exact sgm layout (other sizes use resizing upsamples).</summary>
    public int SpatialMultiple => 1 << (Levels - 1);

    /// <summary>Throws <see cref="ArgumentException"/> naming every inconsistent value.</summary>
    public UNetConfig Validate()
    {
        var errors = new List<string>();
        if (InChannels < 1) errors.Add($"InChannels must be >= 1 (got {InChannels})");
        if (OutChannels < 1) errors.Add($"OutChannels must be >= 1 (got {OutChannels})");
        if (ModelChannels < 1) errors.Add($"ModelChannels must be >= 1 (got {ModelChannels})");
        if (ChannelMult is null || ChannelMult.Count == 0) errors.Add("ChannelMult must have at least one level");
        else
        {
            if (ChannelMult.Any(m => m < 1)) errors.Add($"ChannelMult entries must be >= 1 (got [{string.Join(", ", ChannelMult)}])");
            CheckPerLevel(errors, nameof(NumResBlocks), NumResBlocks, min: 1);
            CheckPerLevel(errors, nameof(TransformerDepth), TransformerDepth, min: 0);
            foreach (var ch in ChannelMult.Select(m => m * ModelChannels).Prepend(ModelChannels).Distinct())
                if (NormGroups >= 1 && ch % NormGroups != 0) errors.Add($"every level's channel count must be a multiple of {NormGroups} (NormGroups, the GroupNorm group count); {ch} is not");
        }
        if (AttentionResolutions is null) errors.Add("AttentionResolutions must not be null (use [] for none)");
        if (NumHeadChannels == -1 && NumHeads < 1) errors.Add("set NumHeadChannels or NumHeads (sgm: 'Either num_heads or num_head_channels has to be set')");
        if (NumHeadChannels != -1 && NumHeadChannels < 1) errors.Add($"NumHeadChannels must be >= 1 or -1 (got {NumHeadChannels})");
        if (ContextDim is not null && (ContextDim.Count == 0 || ContextDim.Any(c => c < 1)))
            errors.Add($"ContextDim must be null or a non-empty list of positive widths (got [{string.Join(", ", ContextDim)}])");
        if (AdmInChannels is < 1) errors.Add($"AdmInChannels must be null or >= 1 (got {AdmInChannels})");
        if (TransformerDepthMiddle is < 0) errors.Add($"TransformerDepthMiddle must be >= 0 (got {TransformerDepthMiddle})");
        if (NormGroups < 1) errors.Add($"NormGroups must be >= 1 (got {NormGroups})");
        if (Dropout is < 0 or >= 1) errors.Add($"Dropout must be in [0, 1) (got {Dropout})");
        // Sane bounds (SDXL uses 2 blocks, depth ≤ 10, 320 channels, 3 levels): a config from a file cannot make the
        // model builder allocate without limit (a checkpoint claiming 10^8 res blocks grew to 6 GB before failing).
        if (ModelChannels > ModelBounds.MaxChannels) errors.Add($"ModelChannels {ModelChannels} is above the limit {ModelBounds.MaxChannels}");
        if (ChannelMult is { Count: > ModelBounds.MaxLevels }) errors.Add($"{ChannelMult.Count} levels is above the limit {ModelBounds.MaxLevels}");
        if (ChannelMult?.Any(m => m > ModelBounds.MaxChannelMult) == true) errors.Add($"ChannelMult entries are above the limit {ModelBounds.MaxChannelMult}");
        if (NumResBlocks?.Any(n => n > ModelBounds.MaxBlocksPerLevel) == true) errors.Add($"NumResBlocks entries are above the limit {ModelBounds.MaxBlocksPerLevel} (got [{string.Join(", ", NumResBlocks)}])");
        if (TransformerDepth?.Any(n => n > ModelBounds.MaxTransformerDepth) == true || TransformerDepthMiddle > ModelBounds.MaxTransformerDepth)
            errors.Add($"TransformerDepth entries are above the limit {ModelBounds.MaxTransformerDepth}");
        if (ContextDim?.Any(c => c > ModelBounds.MaxWidth) == true || AdmInChannels > ModelBounds.MaxWidth || InChannels > ModelBounds.MaxChannels || OutChannels > ModelBounds.MaxChannels)
            errors.Add($"a width or channel count is above the limit {ModelBounds.MaxWidth}");
        if (errors.Count == 0)
        {
            try { UNetPlan.Build(this, validate: false); }
            catch (ArgumentException e) { errors.Add(e.Message); }
        }
        if (errors.Count > 0) throw new ArgumentException("invalid UNetConfig: " + string.Join("; ", errors));
        return this;
    }

    void CheckPerLevel(List<string> errors, string name, IReadOnlyList<int>? values, int min)
    {
        if (values is null || values.Count != ChannelMult.Count)
            errors.Add($"{name} needs one entry per level ({ChannelMult.Count}), got {(values is null ? "null" : values.Count.ToString())}; use UNetConfig.PerLevel for a single value");
        else if (values.Any(v => v < min))
            errors.Add($"{name} entries must be >= {min} (got [{string.Join(", ", values)}])");
    }

    public bool Equals(UNetConfig? other) =>
        other is not null &&
        InChannels == other.InChannels && OutChannels == other.OutChannels && ModelChannels == other.ModelChannels &&
        Same(ChannelMult, other.ChannelMult) && Same(NumResBlocks, other.NumResBlocks) &&
        Same(AttentionResolutions, other.AttentionResolutions) && Same(TransformerDepth, other.TransformerDepth) &&
        Same(ContextDim, other.ContextDim) && NumHeadChannels == other.NumHeadChannels && NumHeads == other.NumHeads &&
        UseLinearInTransformer == other.UseLinearInTransformer && AdmInChannels == other.AdmInChannels &&
        TransformerDepthMiddle == other.TransformerDepthMiddle && Dropout.Equals(other.Dropout) && NormGroups == other.NormGroups;

    public override int GetHashCode() => HashCode.Combine(ModelChannels, ChannelMult?.Count, NumHeadChannels, AdmInChannels);

    static bool Same(IReadOnlyList<int>? a, IReadOnlyList<int>? b) =>
        ReferenceEquals(a, b) || (a is not null && b is not null && a.SequenceEqual(b));

    bool PrintMembers(StringBuilder b)
    {
        static string L(IReadOnlyList<int>? l) => l is null ? "null" : $"[{string.Join(", ", l)}]";
        b.Append($"InChannels = {InChannels}, OutChannels = {OutChannels}, ModelChannels = {ModelChannels}, ");
        b.Append($"ChannelMult = {L(ChannelMult)}, NumResBlocks = {L(NumResBlocks)}, AttentionResolutions = {L(AttentionResolutions)}, ");
        b.Append($"TransformerDepth = {L(TransformerDepth)}, ContextDim = {L(ContextDim)}, NumHeadChannels = {NumHeadChannels}, ");
        b.Append($"NumHeads = {NumHeads}, UseLinearInTransformer = {UseLinearInTransformer}, AdmInChannels = {AdmInChannels?.ToString() ?? "null"}, ");
        b.Append($"TransformerDepthMiddle = {TransformerDepthMiddle?.ToString() ?? "null"}, Dropout = {Dropout}, NormGroups = {NormGroups}");
        return true;
    }
}
