using System.Collections.Immutable;

namespace Pipeline.Tokenize.Prompts;

/// <summary>A textual-inversion vector in a chunk: position <see cref="Position"/> (0..76) takes vector <see cref="Vector"/> of embedding <see cref="Name"/>.</summary>
public sealed record EmbeddingSlot(int Position, string Name, int Vector);

/// <summary>
/// One 77-token window a text encoder reads: start-of-text, up to 75 content tokens, end-of-text, padding; a weight
/// per position (1 for start, end and padding) and the positions that take textual-inversion vectors (their id is a
/// placeholder, 0 as in A1111).
/// </summary>
public sealed record TokenChunk
{
    public TokenChunk(ImmutableArray<int> ids, ImmutableArray<double> weights, ImmutableArray<EmbeddingSlot> embeddings)
    {
        if (ids.IsDefault || ids.Length != ClipVocabulary.ContextLength)
            throw new ArgumentException($"a chunk has exactly {ClipVocabulary.ContextLength} ids, got {(ids.IsDefault ? 0 : ids.Length)}", nameof(ids));
        if (weights.IsDefault || weights.Length != ids.Length)
            throw new ArgumentException($"a chunk has one weight per id: {ids.Length} ids, {(weights.IsDefault ? 0 : weights.Length)} weights", nameof(weights));
        Ids = ids;
        Weights = weights;
        Embeddings = embeddings.IsDefault ? ImmutableArray<EmbeddingSlot>.Empty : embeddings;
    }

    public ImmutableArray<int> Ids { get; }
    public ImmutableArray<double> Weights { get; }
    public ImmutableArray<EmbeddingSlot> Embeddings { get; }

    /// <summary>Whether any weight differs from 1.</summary>
    public bool HasWeights => Weights.Any(w => w != 1.0);

    /// <summary>The empty prompt's chunk: start, end, then <paramref name="pad"/>.</summary>
    public static TokenChunk Empty(int pad)
    {
        var ids = Enumerable.Repeat(pad, ClipVocabulary.ContextLength).ToArray();
        ids[0] = ClipVocabulary.StartOfText;
        ids[1] = ClipVocabulary.EndOfText;
        return new TokenChunk(ids.ToImmutableArray(), Enumerable.Repeat(1.0, ids.Length).ToImmutableArray(), ImmutableArray<EmbeddingSlot>.Empty);
    }

    public bool Equals(TokenChunk? other) =>
        other is not null && Ids.SequenceEqual(other.Ids) && Weights.SequenceEqual(other.Weights) && Embeddings.SequenceEqual(other.Embeddings);

    public override int GetHashCode() => HashCode.Combine(Ids.Length, Ids[1], Ids[2], Weights[1]);
}

/// <summary>
/// A prompt as one text encoder reads it: its chunks, in order; <see cref="TokenCount"/> counts tokens as the tool
/// shows them (A1111: 75 per full chunk plus the last; others: content tokens); <see cref="DroppedTokens"/> is only
/// non-zero in the sgm style, which truncates.
/// </summary>
public sealed record EncoderChunks(ImmutableArray<TokenChunk> Chunks, int TokenCount, int DroppedTokens = 0)
{
    public bool Equals(EncoderChunks? other) =>
        other is not null && TokenCount == other.TokenCount && DroppedTokens == other.DroppedTokens && Chunks.SequenceEqual(other.Chunks);

    public override int GetHashCode() => HashCode.Combine(Chunks.Length, TokenCount, DroppedTokens);
}
