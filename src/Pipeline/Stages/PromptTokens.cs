using System.Collections.Immutable;
using Pipeline.Generation;
using Pipeline.Tokenize.Embeddings;
using Pipeline.Tokenize.Prompts;

namespace Pipeline.Stages;

/// <summary>
/// How a plan reads its prompts: the <see cref="PromptStyle"/> (syntax, chunking, weighting) and the
/// textual-inversion embeddings prompts may name.
/// </summary>
public sealed record PromptOptions(PromptStyle Style, EmbeddingLibrary Embeddings)
{
    /// <summary>A1111 style, no embeddings.</summary>
    public static PromptOptions Default { get; } = new(PromptStyles.Default, EmbeddingLibrary.Empty);

    /// <summary>A style without embeddings.</summary>
    public static PromptOptions Of(PromptStyle style) => new(style, EmbeddingLibrary.Empty);

    public override string ToString() =>
        $"{Style.Name()}{(Embeddings.Count == 0 ? "" : $", {Embeddings.Count} embeddings{(Embeddings.Directory is { } d ? $" in {d}" : "")}")}";
}

/// <summary>The Tokenize stage's output for a batch of <see cref="PromptRow"/>s: prompts and negative prompts, row i = sample i.</summary>
public sealed record PromptTokens(ImmutableArray<PromptEncoding> Prompt, ImmutableArray<PromptEncoding> Negative)
{
    /// <summary>Content tokens cut off in the prompts (only the sgm style truncates), the most of any row.</summary>
    public int PromptTokensDropped => Prompt.Select(p => p.DroppedTokens).DefaultIfEmpty(0).Max();

    /// <summary>The same for the negative prompts.</summary>
    public int NegativeTokensDropped => Negative.Select(p => p.DroppedTokens).DefaultIfEmpty(0).Max();

    /// <summary>Number of rows.</summary>
    public int Count => Prompt.Length;

    /// <summary>The style every row was read in.</summary>
    public PromptStyle Style => Prompt.Concat(Negative).Select(p => p.Style).DefaultIfEmpty(PromptStyles.Default).First();

    public bool Equals(PromptTokens? other) => other is not null && Prompt.SequenceEqual(other.Prompt) && Negative.SequenceEqual(other.Negative);

    public override int GetHashCode() => HashCode.Combine(Prompt.Length, Prompt.FirstOrDefault());
}

/// <summary>Tokenize: prompt rows → the chunks both text encoders read (prompts and negative prompts).</summary>
public static class PromptTokenizer
{
    /// <summary>Reads every row's prompt and negative prompt with <paramref name="options"/> (A1111 style, no embeddings, when null).</summary>
    /// <exception cref="ArgumentException">When a prompt cannot be read (invalid weight, unknown or unusable embedding), naming the row.</exception>
    public static PromptTokens Run(IReadOnlyList<PromptRow> rows, PromptOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        options ??= PromptOptions.Default;
        PromptEncoding Encode(string text, int row, string what)
        {
            try { return PromptEncoder.Encode(text, options.Style, options.Embeddings); }
            catch (ArgumentException e) { throw new ArgumentException(rows.Count == 1 ? $"{what}: {e.Message}" : $"row {row} {what}: {e.Message}", e); }
        }
        var cache = new Dictionary<(string, string), PromptEncoding>();
        PromptEncoding Cached(string text, int row, string what)
        {
            if (!cache.TryGetValue((text, what), out var e)) cache[(text, what)] = e = Encode(text, row, what);
            return e;
        }
        return new PromptTokens(
            rows.Select((r, i) => Cached(r.Text, i, "prompt")).ToImmutableArray(),
            rows.Select((r, i) => Cached(r.Negative, i, "negative prompt")).ToImmutableArray());
    }
}
