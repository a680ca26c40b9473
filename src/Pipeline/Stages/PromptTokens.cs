using Pipeline.Generation;
using Pipeline.Tokenize;

namespace Pipeline.Stages;

/// <summary>The Tokenize stage's output for a batch of <see cref="PromptRow"/>s: prompts and negative prompts, row i = sample i.</summary>
public sealed record PromptTokens(Tokens Prompt, Tokens Negative)
{
    /// <summary>Tokens the CLIP-L tokenizer dropped (beyond 75), the most of any row.</summary>
    public int PromptTokensDropped => Prompt.ClipL.Select(p => p.DroppedTokens).DefaultIfEmpty(0).Max();

    /// <summary>The same for the negative prompts.</summary>
    public int NegativeTokensDropped => Negative.ClipL.Select(p => p.DroppedTokens).DefaultIfEmpty(0).Max();
}

/// <summary>Tokenize: prompt rows → token ids for both text encoders (prompts and negative prompts).</summary>
public static class PromptTokenizer
{
    public static PromptTokens Run(IReadOnlyList<PromptRow> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        return new PromptTokens(TokenizeStage.Run(rows.Select(r => r.Text).ToList()), TokenizeStage.Run(rows.Select(r => r.Negative).ToList()));
    }
}
