using Pipeline.Models.TextEncoders;

namespace Pipeline.Conditioning;

/// <summary>Settings of one conditioner embedder (sgm's <c>emb_models</c> entries).</summary>
[System.Text.Json.Serialization.JsonPolymorphic(TypeDiscriminatorPropertyName = "target")]
[System.Text.Json.Serialization.JsonDerivedType(typeof(FrozenCLIPEmbedderConfig), "FrozenCLIPEmbedder")]
[System.Text.Json.Serialization.JsonDerivedType(typeof(FrozenOpenCLIPEmbedder2Config), "FrozenOpenCLIPEmbedder2")]
[System.Text.Json.Serialization.JsonDerivedType(typeof(ConcatTimestepEmbedderNDConfig), "ConcatTimestepEmbedderND")]
public abstract record EmbedderConfig(string InputKey, double UcgRate)
{
    /// <summary>Problems with these settings (empty when valid).</summary>
    public virtual IEnumerable<string> Problems()
    {
        if (!(UcgRate >= 0 && UcgRate <= 1)) yield return $"{GetType().Name}: ucg rate {UcgRate} must be in [0, 1]";
    }
}

/// <summary>Which CLIP-L output sgm's <c>FrozenCLIPEmbedder</c> returns.</summary>
public enum ClipLayer
{
    /// <summary><c>last_hidden_state</c> (after the final LayerNorm).</summary>
    Last,
    /// <summary><c>pooler_output[:, None, :]</c>.</summary>
    Pooled,
    /// <summary><c>hidden_states[LayerIndex]</c> (SDXL: 11).</summary>
    Hidden,
}

/// <summary>
/// sgm <c>FrozenCLIPEmbedder</c> (transformers CLIPTextModel), input "txt" (CLIP-L token ids). <c>IsTrainable</c>
/// (sgm's <c>is_trainable</c>): keep the parameters trainable (default frozen, as SDXL).
/// </summary>
public sealed record FrozenCLIPEmbedderConfig(
    ClipTextConfig Text, ClipLayer Layer = ClipLayer.Hidden, int LayerIndex = 11, bool AlwaysReturnPooled = false,
    double UcgRate = 0, bool IsTrainable = false) : EmbedderConfig(EmbedderKeys.Text, UcgRate)
{
    /// <summary>How many of the encoder's layers its outputs depend on: <c>hidden_states[k]</c> reads the first k (SDXL:
    /// 11 of 12), unless the pooled output (after the last layer) is returned too.</summary>
    public int LayersUsed => Layer == ClipLayer.Hidden && !AlwaysReturnPooled
        ? (LayerIndex >= 0 ? LayerIndex : Text.Layers + 1 + LayerIndex)
        : Text.Layers;

    public override IEnumerable<string> Problems()
    {
        foreach (var p in base.Problems()) yield return p;
        if (Layer == ClipLayer.Hidden && Math.Abs(LayerIndex) > Text.Layers)
            yield return $"{nameof(FrozenCLIPEmbedderConfig)}: layer index {LayerIndex} is outside -{Text.Layers}..{Text.Layers}";
        if (!Enum.IsDefined(Layer)) yield return $"{nameof(FrozenCLIPEmbedderConfig)}: layer {Layer} is not one of {string.Join(", ", Enum.GetNames<ClipLayer>())}";
    }
}

/// <summary>Which OpenCLIP output sgm's <c>FrozenOpenCLIPEmbedder2</c> returns as its first output.</summary>
public enum OpenClipLayer
{
    /// <summary>Output of the last block (no ln_final).</summary>
    Last,
    /// <summary>Input of the last block (no ln_final), SDXL's choice.</summary>
    Penultimate,
}

/// <summary>
/// sgm <c>FrozenOpenCLIPEmbedder2(legacy=False)</c>, input "txt" (OpenCLIP token ids); SDXL also returns the pooled
/// output. <c>IsTrainable</c> (sgm's <c>is_trainable</c>): keep the parameters trainable (default frozen, as SDXL).
/// </summary>
public sealed record FrozenOpenCLIPEmbedder2Config(
    ClipTextConfig Text, OpenClipLayer Layer = OpenClipLayer.Penultimate, bool AlwaysReturnPooled = true,
    double UcgRate = 0, bool IsTrainable = false) : EmbedderConfig(EmbedderKeys.Text, UcgRate)
{
    public override IEnumerable<string> Problems()
    {
        foreach (var p in base.Problems()) yield return p;
        if (!Enum.IsDefined(Layer)) yield return $"{nameof(FrozenOpenCLIPEmbedder2Config)}: layer {Layer} is not one of {string.Join(", ", Enum.GetNames<OpenClipLayer>())}";
    }
}

/// <summary>sgm <c>ConcatTimestepEmbedderND(outdim)</c> on a size/crop/score field.</summary>
public sealed record ConcatTimestepEmbedderNDConfig(string InputKey, int OutDim = 256, double UcgRate = 0)
    : EmbedderConfig(InputKey, UcgRate)
{
    public override IEnumerable<string> Problems()
    {
        foreach (var p in base.Problems()) yield return p;
        if (!EmbedderKeys.ScalarKeys.ContainsKey(InputKey))
            yield return $"{nameof(ConcatTimestepEmbedderNDConfig)}: input key '{InputKey}' is not one of {string.Join(", ", EmbedderKeys.ScalarKeys.Keys)}";
        if (OutDim < 1) yield return $"{nameof(ConcatTimestepEmbedderNDConfig)}: outdim {OutDim} must be >= 1";
    }
}
