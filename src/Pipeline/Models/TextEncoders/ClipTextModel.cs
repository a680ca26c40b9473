using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>
/// transformers <c>CLIPTextModel</c> (CLIP ViT-L/14 text encoder of SDXL) with its state-dict layout
/// (<c>text_model.embeddings.*</c>, <c>text_model.encoder.layers.N.*</c>, <c>text_model.final_layer_norm.*</c>):
/// pre-LayerNorm blocks, causal self-attention, quick_gelu. <c>forward</c> gives <c>last_hidden_state</c>.
/// </summary>
public sealed class ClipTextModel : nn.Module<Tensor, Tensor>
{
    private readonly ClipTextTransformer text_model;

    public ClipTextConfig Config { get; }

    /// <summary>Builds the model on <paramref name="device"/> (use the meta device to build without memory) in <paramref name="dtype"/>.</summary>
    public ClipTextModel(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipTextModel))
    {
        Config = (config ?? throw new ArgumentNullException(nameof(config))).Validate();
        text_model = new ClipTextTransformer(config, device, dtype);
        RegisterComponents();
    }

    /// <summary>ids [B, 77] (int64) → last_hidden_state [B, 77, width].</summary>
    public override Tensor forward(Tensor ids) => text_model.forward(TokenIds.Check(ids, Config, nameof(ClipTextModel)));

    /// <summary>
    /// transformers' <c>hidden_states[index]</c> (0 = embeddings, k = output of layer k-1, no final LayerNorm),
    /// running only the first <paramref name="index"/> layers. SDXL's CLIP-L embedder uses index 11.
    /// </summary>
    public Tensor HiddenState(Tensor ids, int index, TokenVectors? vectors = null)
    {
        if (index < 0 || index > Config.Layers)
            throw new ArgumentOutOfRangeException(nameof(index), $"hidden state index must be in 0..{Config.Layers}, got {index}");
        return text_model.HiddenState(TokenIds.Check(ids, Config, nameof(ClipTextModel)), index, vectors);
    }

    /// <summary>last_hidden_state, pooler_output and (when asked) every hidden state; <paramref name="vectors"/> replace token embeddings (textual inversion).</summary>
    public ClipTextOutput Encode(Tensor ids, bool outputHiddenStates = false, TokenVectors? vectors = null) =>
        text_model.Encode(TokenIds.Check(ids, Config, nameof(ClipTextModel)), outputHiddenStates, vectors);
}
