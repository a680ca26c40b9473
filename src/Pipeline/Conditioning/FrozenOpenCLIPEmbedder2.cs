using Pipeline.Models.TextEncoders;
using static TorchSharp.torch;

namespace Pipeline.Conditioning;

/// <summary>
/// sgm <c>FrozenOpenCLIPEmbedder2(legacy=False)</c>: the open_clip text tower (state keys <c>model.*</c>) on
/// OpenCLIP token ids; SDXL takes the penultimate block input as cross-attention context and the pooled,
/// projected embedding as the head of the <c>vector</c> conditioning.
/// </summary>
public sealed class FrozenOpenCLIPEmbedder2 : nn.Module<Tensor, Tensor>, IEmbedder
{
    private readonly OpenClipTextModel model;

    public FrozenOpenCLIPEmbedder2Config Config { get; }

    public FrozenOpenCLIPEmbedder2(FrozenOpenCLIPEmbedder2Config config, Device? device = null, ScalarType? dtype = null) : base(nameof(FrozenOpenCLIPEmbedder2))
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        var problems = config.Problems().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        model = new OpenClipTextModel(config.Text, device, dtype);
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
        ? new long[] { Config.Text.Width, Config.Text.ProjectionDim }
        : new long[] { Config.Text.Width };

    /// <summary>OpenCLIP token ids [B, 77] → the configured layer [B, 77, width].</summary>
    public override Tensor forward(Tensor tokens)
    {
        var outputs = EmbedTokens(tokens);
        for (int i = 1; i < outputs.Count; i++) outputs[i].Dispose();
        return outputs[0];
    }

    /// <summary>The configured layer and, with <c>AlwaysReturnPooled</c>, the pooled embedding [B, embed_dim].</summary>
    public IReadOnlyList<Tensor> EmbedTokens(Tensor tokens) => EmbedTokens(tokens, null);

    /// <summary>As <see cref="EmbedTokens(Tensor)"/>, with <paramref name="vectors"/> replacing token embeddings (textual inversion).</summary>
    public IReadOnlyList<Tensor> EmbedTokens(Tensor tokens, TokenVectors? vectors)
    {
        using var output = model.Encode(tokens, vectors: vectors);
        var z = (Config.Layer == OpenClipLayer.Penultimate ? output.Penultimate : output.Last).alias();
        return Config.AlwaysReturnPooled ? new[] { z, output.Pooled.alias() } : new[] { z };
    }

    /// <summary>
    /// The batch's OpenCLIP ids with their extras: textual-inversion vectors replace token embeddings, token weights act
    /// on the hidden states with the batch's emphasis (the pooled embedding is never weighted, as in A1111 and ComfyUI).
    /// </summary>
    public IReadOnlyList<Tensor> Embed(IReadOnlyList<ConditionerInput> batch, Device device) =>
        TextExtrasBatch.Embed(batch, r => r.OpenClipTokens, r => r.OpenClipExtras, nameof(ConditionerInput.OpenClipTokens), nameof(ConditionerInput.OpenClipExtras),
            Config.Text, 0, device, EmbedTokens);
}
