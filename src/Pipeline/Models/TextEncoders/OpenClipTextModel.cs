using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;
using Pipeline.Runtime;

namespace Pipeline.Models.TextEncoders;

/// <summary>
/// The text tower of an open_clip <c>CLIP</c> (the visual tower deleted, as sgm's <c>FrozenOpenCLIPEmbedder2</c>
/// does) with open_clip's state-dict layout: <c>token_embedding.weight</c>, <c>positional_embedding</c>,
/// <c>transformer.resblocks.N.*</c>, <c>ln_final.*</c>, <c>text_projection</c> [width, embed_dim] (applied as
/// <c>x @ W</c>) and the unused <c>logit_scale</c>. Causal attention; the causal mask is not stored.
/// <c>forward</c> gives the pooled, projected embedding [B, embed_dim].
/// </summary>
public sealed class OpenClipTextModel : nn.Module<Tensor, Tensor>
{
    private readonly EmbeddingTable token_embedding;
    [ComponentName(Name = nameof(positional_embedding))]
    private Parameter _positionalEmbedding;
    private readonly OpenClipTransformer transformer;
    private readonly LayerNorm ln_final;
    [ComponentName(Name = nameof(text_projection))]
    private Parameter _textProjection;
    [ComponentName(Name = nameof(logit_scale))]
    private Parameter _logitScale;

    public ClipTextConfig Config { get; }

    /// <summary>Builds the model on <paramref name="device"/> (use the meta device to build without memory) in <paramref name="dtype"/>.</summary>
    public OpenClipTextModel(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(OpenClipTextModel))
    {
        Config = (config ?? throw new ArgumentNullException(nameof(config))).Validate();
        token_embedding = new EmbeddingTable(config.VocabSize, config.Width, std: 0.02, device, dtype);
        transformer = new OpenClipTransformer(config, device, dtype);
        ln_final = nn.LayerNorm(config.Width, config.LayerNormEps, device: device, dtype: dtype);
        using (no_grad())
        {
            // open_clip's initialisation: normal(0.01) positions, normal(width^-0.5) projection, logit scale ln(1/0.07).
            _positionalEmbedding = new Parameter(nn.init.normal_(empty(config.MaxPositions, config.Width, dtype: dtype, device: device), std: 0.01));
            _textProjection = new Parameter(nn.init.normal_(empty(config.Width, config.ProjectionDim, dtype: dtype, device: device), std: Math.Pow(config.Width, -0.5)));
            _logitScale = new Parameter(full(Array.Empty<long>(), Math.Log(1 / 0.07), dtype: dtype, device: device));
        }
        RegisterComponents();
    }

    public Parameter positional_embedding
    {
        get => _positionalEmbedding;
        set => _positionalEmbedding = Swap(nameof(positional_embedding), _positionalEmbedding, value);
    }

    public Parameter text_projection
    {
        get => _textProjection;
        set => _textProjection = Swap(nameof(text_projection), _textProjection, value);
    }

    public Parameter logit_scale
    {
        get => _logitScale;
        set => _logitScale = Swap(nameof(logit_scale), _logitScale, value);
    }

    Parameter Swap(string name, Parameter old, Parameter value) =>
        Checkpoints.ParameterSlot.Replace(old, value, p => ConditionallyRegisterParameter(name, p));

    /// <summary>tokens [B, 77] (int64, open_clip padding 0) → pooled [B, embed_dim].</summary>
    public override Tensor forward(Tensor tokens)
    {
        using var output = Encode(tokens);
        return output.Pooled.alias();
    }

    /// <summary>
    /// penultimate, last and pooled; with <paramref name="intermediates"/> also embeddings, every block output and
    /// ln_final(last); <paramref name="vectors"/> replace token embeddings (textual inversion).
    /// </summary>
    public OpenClipTextOutput Encode(Tensor tokens, bool intermediates = false, TokenVectors? vectors = null)
    {
        TokenIds.Check(tokens, Config, nameof(OpenClipTextModel));
        using var scope = NewDisposeScope();
        var embedded = token_embedding.forward(tokens);
        if (vectors is not null) embedded = vectors.Apply(embedded);
        var x = embedded.Plus(_positionalEmbedding);
        Tensor penultimate, last;
        IReadOnlyList<Tensor>? blocks = null;
        if (intermediates)
        {
            blocks = transformer.ForwardCollecting(x);
            if (blocks.Count == 0) throw new InvalidOperationException("the transformer has no blocks, so it has no penultimate output");
            penultimate = blocks.Count > 1 ? blocks[^2].alias() : x.alias();
            last = blocks[^1].alias();
        }
        else (penultimate, last) = transformer.ForwardPenultimate(x);
        var lnFinal = ln_final.forward(last);
        var pooled = ClipTextTransformer.Pool(lnFinal, tokens).matmul(_textProjection);
        if (!intermediates)
            return new OpenClipTextOutput(penultimate.MoveToOuterDisposeScope(), last.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope());
        foreach (var b in blocks!) b.MoveToOuterDisposeScope();
        return new OpenClipTextOutput(penultimate.MoveToOuterDisposeScope(), last.MoveToOuterDisposeScope(), pooled.MoveToOuterDisposeScope(),
            x.MoveToOuterDisposeScope(), blocks, lnFinal.MoveToOuterDisposeScope());
    }
}
