using System.Text.Json;
using Pipeline.Models.TextEncoders;

namespace Pipeline.Tests.Models.TextEncoders;

/// <summary>Text-tower configs and weight locations read from a golden case's JSON (nothing hard-coded).</summary>
public static class TextGoldenConfigs
{
    /// <summary>transformers-style <c>text_cfg</c> of <c>clip_l_text_tiny</c>.</summary>
    public static ClipTextConfig ClipL(JsonElement json)
    {
        var c = json.GetProperty("text_cfg");
        return new ClipTextConfig(
            VocabSize: c.GetProperty("vocab_size").GetInt32(),
            Width: c.GetProperty("hidden_size").GetInt32(),
            Heads: c.GetProperty("num_attention_heads").GetInt32(),
            Layers: c.GetProperty("num_hidden_layers").GetInt32(),
            MaxPositions: c.GetProperty("max_position_embeddings").GetInt32(),
            IntermediateSize: c.GetProperty("intermediate_size").GetInt32(),
            ProjectionDim: c.GetProperty("projection_dim").GetInt32(),
            Activation: ClipActivations.Parse(c.GetProperty("hidden_act").GetString()!),
            LayerNormEps: c.TryGetProperty("layer_norm_eps", out var eps) ? eps.GetDouble() : 1e-5);
    }

    /// <summary>open_clip-style <c>text_cfg</c> of <c>openclip_text_tiny</c> (mlp_ratio defaults to open_clip's 4).</summary>
    public static ClipTextConfig OpenClip(JsonElement json)
    {
        var c = json.GetProperty("text_cfg");
        int width = c.GetProperty("width").GetInt32();
        double mlpRatio = c.TryGetProperty("mlp_ratio", out var r) ? r.GetDouble() : 4.0;
        return new ClipTextConfig(
            VocabSize: c.GetProperty("vocab_size").GetInt32(),
            Width: width,
            Heads: c.GetProperty("heads").GetInt32(),
            Layers: c.GetProperty("layers").GetInt32(),
            MaxPositions: c.GetProperty("context_length").GetInt32(),
            IntermediateSize: (int)(width * mlpRatio),
            ProjectionDim: c.GetProperty("embed_dim").GetInt32(),
            Activation: ClipActivations.Parse(c.GetProperty("act").GetString()!),
            LayerNormEps: c.TryGetProperty("layer_norm_eps", out var eps) && eps.ValueKind == JsonValueKind.Number ? eps.GetDouble() : 1e-5);
    }

    /// <summary>The key prefix of the weights file: the first word of <c>weights_prefix</c>.</summary>
    public static string WeightsPrefix(JsonElement json) =>
        json.GetProperty("weights_prefix").GetString()!.Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];

    public static string WeightsFile(JsonElement json) => json.GetProperty("weights_file").GetString()!;
}
