using Pipeline.Models.TextEncoders;

namespace Pipeline.Conditioning;

/// <summary>The embedders of a <see cref="GeneralConditioner"/>, in order (their index is their state-dict index).</summary>
public sealed record ConditionerConfig(IReadOnlyList<EmbedderConfig> Embedders)
{
    /// <summary>
    /// SDXL base (<c>sd_xl_base.yaml</c>): CLIP-L hidden state 11 + OpenCLIP bigG penultimate → crossattn 2048;
    /// bigG pooled 1280 + original size 512 + crop 512 + target size 512 → vector 2816.
    /// </summary>
    public static ConditionerConfig SdxlBase { get; } = new(new EmbedderConfig[]
    {
        new FrozenCLIPEmbedderConfig(ClipTextConfig.ClipL, ClipLayer.Hidden, LayerIndex: 11),
        new FrozenOpenCLIPEmbedder2Config(ClipTextConfig.OpenClipBigG),
        new ConcatTimestepEmbedderNDConfig(EmbedderKeys.OriginalSize),
        new ConcatTimestepEmbedderNDConfig(EmbedderKeys.CropCoordsTopLeft),
        new ConcatTimestepEmbedderNDConfig(EmbedderKeys.TargetSize),
    });

    /// <summary>
    /// SDXL refiner (<c>sd_xl_refiner.yaml</c>): OpenCLIP bigG penultimate → crossattn 1280;
    /// pooled 1280 + original size 512 + crop 512 + aesthetic score 256 → vector 2560.
    /// </summary>
    public static ConditionerConfig SdxlRefiner { get; } = new(new EmbedderConfig[]
    {
        new FrozenOpenCLIPEmbedder2Config(ClipTextConfig.OpenClipBigG),
        new ConcatTimestepEmbedderNDConfig(EmbedderKeys.OriginalSize),
        new ConcatTimestepEmbedderNDConfig(EmbedderKeys.CropCoordsTopLeft),
        new ConcatTimestepEmbedderNDConfig(EmbedderKeys.AestheticScore),
    });

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem.</summary>
    public ConditionerConfig Validate()
    {
        if (Embedders is null || Embedders.Count == 0) throw new ArgumentException("a conditioner needs at least one embedder");
        var problems = Embedders.Select((e, i) => (e, i))
            .SelectMany(x => x.e is null ? new[] { $"embedder {x.i} is null" } : x.e.Problems().Select(p => $"embedder {x.i}: {p}"))
            .ToList();
        foreach (var text in Embedders.OfType<FrozenCLIPEmbedderConfig>().Select(c => c.Text)
                     .Concat(Embedders.OfType<FrozenOpenCLIPEmbedder2Config>().Select(c => c.Text)))
            try { text.Validate(); } catch (ArgumentException e) { problems.Add(e.Message); }
        if (problems.Count > 0) throw new ArgumentException($"invalid {nameof(ConditionerConfig)}: {string.Join("; ", problems)}");
        return this;
    }
}
