using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>transformers <c>CLIPTextTransformer</c> (the <c>text_model</c> of <see cref="ClipTextModel"/>).</summary>
public sealed class ClipTextTransformer : nn.Module<Tensor, Tensor>
{
    private readonly ClipTextEmbeddings embeddings;
    private readonly ClipEncoder encoder;
    private readonly LayerNorm final_layer_norm;

    public ClipTextTransformer(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipTextTransformer))
    {
        embeddings = new ClipTextEmbeddings(config, device, dtype);
        encoder = new ClipEncoder(config, device, dtype);
        final_layer_norm = nn.LayerNorm(config.Width, config.LayerNormEps, device: device, dtype: dtype);
        RegisterComponents();
    }

    public int LayerCount => encoder.LayerCount;

    /// <summary>ids [B, L] → last_hidden_state [B, L, width].</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        return final_layer_norm.forward(encoder.forward(embeddings.forward(ids))).MoveToOuterDisposeScope();
    }

    /// <summary>transformers' <c>hidden_states[index]</c>, computing only the layers it needs.</summary>
    public Tensor HiddenState(Tensor ids, int index, TokenVectors? vectors = null)
    {
        using var scope = NewDisposeScope();
        return encoder.Run(embeddings.Forward(ids, vectors), index).MoveToOuterDisposeScope();
    }

    /// <summary>Every output: all hidden states when <paramref name="outputHiddenStates"/>, last state, pooled.</summary>
    public ClipTextOutput Encode(Tensor ids, bool outputHiddenStates, TokenVectors? vectors = null)
    {
        using var scope = NewDisposeScope();
        var embedded = embeddings.Forward(ids, vectors);
        IReadOnlyList<Tensor>? hidden = null;
        Tensor last;
        if (outputHiddenStates)
        {
            var layers = encoder.RunCollecting(embedded, encoder.LayerCount);
            hidden = new[] { embedded }.Concat(layers).ToList();
            last = hidden[^1];
        }
        else last = encoder.forward(embedded);
        var lastHiddenState = final_layer_norm.forward(last);
        var pooled = Pool(lastHiddenState, ids);
        if (hidden is not null) foreach (var h in hidden) h.MoveToOuterDisposeScope();
        return new ClipTextOutput(lastHiddenState.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope(), hidden);
    }

    /// <summary>Row of each sequence at its first maximal token id (the end-of-text token 49407).</summary>
    internal static Tensor Pool(Tensor states, Tensor ids)
    {
        using var scope = NewDisposeScope();
        var rows = arange(states.shape[0], dtype: ScalarType.Int64, device: states.device);
        var eot = ids.argmax(-1).to(states.device);
        return states.index(rows, eot).MoveToOuterDisposeScope();
    }
}
