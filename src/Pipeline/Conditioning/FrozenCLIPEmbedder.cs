using Pipeline.Models.TextEncoders;
using static TorchSharp.torch;

namespace Pipeline.Conditioning;

/// <summary>
/// sgm <c>FrozenCLIPEmbedder</c>: the transformers CLIP-L text model (state keys <c>transformer.text_model.*</c>)
/// on CLIP-L token ids; SDXL takes <c>hidden_states[11]</c> as (part of) the cross-attention context.
/// </summary>
public sealed class FrozenCLIPEmbedder : nn.Module<Tensor, Tensor>, IEmbedder
{
    private readonly ClipTextModel transformer;

    public FrozenCLIPEmbedderConfig Config { get; }

    public FrozenCLIPEmbedder(FrozenCLIPEmbedderConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(FrozenCLIPEmbedder))
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        var problems = config.Problems().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        transformer = new ClipTextModel(config.Text, device, dtype);
        RegisterComponents();
        if (!config.IsTrainable) foreach (var p in parameters()) p.requires_grad = false; // sgm's freeze(): the loader keeps the flag
    }

    public string InputKey => Config.InputKey;
    public double UcgRate => Config.UcgRate;
    public bool IsTrainable => Config.IsTrainable;

    public IReadOnlyList<ConditioningKind> Outputs => Config.AlwaysReturnPooled
        ? new[] { ConditioningKind.CrossAttn, ConditioningKind.Vector }
        : new[] { ConditioningKind.CrossAttn };

    public IReadOnlyList<long> OutputWidths => Config.AlwaysReturnPooled
        ? new long[] { Config.Text.Width, Config.Text.Width }
        : new long[] { Config.Text.Width };

    /// <summary>CLIP-L token ids [B, 77] → the configured layer, [B, 77, width] ([B, 1, width] for <see cref="ClipLayer.Pooled"/>).</summary>
    public override Tensor forward(Tensor tokens)
    {
        var outputs = EmbedTokens(tokens);
        for (int i = 1; i < outputs.Count; i++) outputs[i].Dispose();
        return outputs[0];
    }

    /// <summary>The configured layer and, with <c>AlwaysReturnPooled</c>, the pooled output [B, width].</summary>
    public IReadOnlyList<Tensor> EmbedTokens(Tensor tokens) => EmbedTokens(tokens, null);

    /// <summary>As <see cref="EmbedTokens(Tensor)"/>, with <paramref name="vectors"/> replacing token embeddings (textual inversion).</summary>
    public IReadOnlyList<Tensor> EmbedTokens(Tensor tokens, TokenVectors? vectors)
    {
        using var scope = NewDisposeScope();
        Tensor z;
        Tensor? pooled = null;
        if (Config.Layer == ClipLayer.Hidden && !Config.AlwaysReturnPooled)
            z = transformer.HiddenState(tokens, HiddenIndex, vectors);
        else
        {
            var output = transformer.Encode(tokens, outputHiddenStates: Config.Layer == ClipLayer.Hidden, vectors);
            z = Config.Layer switch
            {
                ClipLayer.Last => output.LastHiddenState,
                ClipLayer.Pooled => output.PoolerOutput.unsqueeze(1),
                _ => output.HiddenStates![HiddenIndex],
            };
            pooled = output.PoolerOutput;
        }
        return Config.AlwaysReturnPooled
            ? new[] { z.MoveToOuterDisposeScope(), pooled!.MoveToOuterDisposeScope() }
            : new[] { z.MoveToOuterDisposeScope() };
    }

    int HiddenIndex => Config.LayerIndex >= 0 ? Config.LayerIndex : Config.Text.Layers + 1 + Config.LayerIndex;

    /// <summary>
    /// The batch's CLIP-L ids with their extras: textual-inversion vectors replace token embeddings, token weights act on
    /// the hidden states with the batch's emphasis (the pooled output is never weighted, as in A1111 and ComfyUI).
    /// </summary>
    public IReadOnlyList<Tensor> Embed(IReadOnlyList<ConditionerInput> batch, Device device) =>
        TextExtrasBatch.Embed(batch, r => r.ClipLTokens, r => r.ClipLExtras, nameof(ConditionerInput.ClipLTokens), nameof(ConditionerInput.ClipLExtras),
            Config.Text, Tokenize.ClipVocabulary.EndOfText, device, EmbedTokens);
}
