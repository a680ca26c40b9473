using Pipeline.Conditioning;
using Pipeline.Tokenize;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>The conditional and unconditional conditioning of one batch. Owns its tensors.</summary>
public sealed record ConditioningPair(Conditioning.Conditioning Cond, Conditioning.Conditioning Uncond) : IDisposable
{
    public void Dispose()
    {
        foreach (var c in new[] { Cond, Uncond })
        {
            c.CrossAttn?.Dispose();
            c.Vector?.Dispose();
            c.Concat?.Dispose();
        }
    }
}

/// <summary>
/// Condition: token ids + size/crop/aesthetic values → conditioning, as sgm's SDXL sampling does it: each branch
/// gets its own rows; an empty negative prompt zeroes the unconditional text embeddings (sgm's
/// <c>force_uc_zero_embeddings=["txt"]</c>) while its size/crop/aesthetic embeddings are still computed.
/// </summary>
public static class ConditionStage
{
    public static ConditioningPair Run(GeneralConditioner conditioner, Tokens prompt, Tokens negative, bool zeroNegativeText,
        ImageSize originalSize, CropCoords crop, ImageSize targetSize,
        double aestheticScore = ConditionerInput.DefaultAestheticScore,
        double negativeAestheticScore = ConditionerInput.DefaultNegativeAestheticScore)
    {
        if (prompt.Count != negative.Count) throw new ArgumentException($"{prompt.Count} prompts but {negative.Count} negative prompts");
        IReadOnlyList<ConditionerInput> Rows(Tokens t, double aesthetic) => Enumerable.Range(0, t.Count)
            .Select(i => new ConditionerInput(t.ClipL[i].Ids.ToArray(), t.OpenClip[i].Ids.ToArray(), originalSize, crop, targetSize, aesthetic))
            .ToList();
        using var noGrad = no_grad();
        var (c, u) = conditioner.GetUnconditionalConditioning(Rows(prompt, aestheticScore), Rows(negative, negativeAestheticScore),
            zeroNegativeText ? new[] { EmbedderKeys.Text } : null);
        return new ConditioningPair(c, u);
    }

    /// <summary>
    /// Tokenizes <paramref name="prompt"/> and <paramref name="negative"/> for a batch of <paramref name="batch"/> and conditions
    /// them; an empty (or whitespace) negative prompt zeroes the unconditional text embeddings.
    /// </summary>
    public static ConditioningPair ForPrompt(GeneralConditioner conditioner, string prompt, string negative, int batch,
        ImageSize originalSize, CropCoords crop, ImageSize targetSize,
        double aestheticScore = ConditionerInput.DefaultAestheticScore,
        double negativeAestheticScore = ConditionerInput.DefaultNegativeAestheticScore)
    {
        var tokens = TokenizeStage.Run(Enumerable.Repeat(prompt, batch).ToList());
        var negativeTokens = TokenizeStage.Run(Enumerable.Repeat(negative, batch).ToList());
        return Run(conditioner, tokens, negativeTokens, string.IsNullOrWhiteSpace(negative), originalSize, crop, targetSize,
            aestheticScore, negativeAestheticScore);
    }

    /// <summary>How many tokens of <paramref name="text"/> the CLIP-L tokenizer drops (beyond 75).</summary>
    public static int DroppedTokens(string text) => TokenizeStage.Run(new[] { text }).ClipL[0].DroppedTokens;
}
