using System.Collections.Immutable;
using Pipeline.Tokenize.Embeddings;

namespace Pipeline.Tokenize.Prompts;

/// <summary>
/// A prompt read in one <see cref="PromptStyle"/>: the parsed pieces, the chunks each SDXL text encoder reads, the
/// extra-network tags it named and the textual-inversion embeddings it uses (resolved, so conditioning needs nothing
/// else). Made by <see cref="PromptEncoder.Encode"/>.
/// </summary>
public sealed record PromptEncoding(
    string Text,
    PromptStyle Style,
    ImmutableArray<(string Text, double Weight)> Pieces,
    EncoderChunks ClipL,
    EncoderChunks OpenClip,
    ImmutableArray<ExtraNetworkTag> Networks,
    ImmutableDictionary<string, TextualInversion> Embeddings)
{
    /// <summary>Chunks of the longer encoder.</summary>
    public int ChunkCount => Math.Max(ClipL.Chunks.Length, OpenClip.Chunks.Length);

    /// <summary>Whether any token's weight differs from 1.</summary>
    public bool HasWeights => ClipL.Chunks.Any(c => c.HasWeights) || OpenClip.Chunks.Any(c => c.HasWeights);

    /// <summary>Content tokens cut off (sgm style only).</summary>
    public int DroppedTokens => Math.Max(ClipL.DroppedTokens, OpenClip.DroppedTokens);

    public bool Equals(PromptEncoding? other) =>
        other is not null && Text == other.Text && Style == other.Style && Pieces.SequenceEqual(other.Pieces)
        && ClipL.Equals(other.ClipL) && OpenClip.Equals(other.OpenClip) && Networks.SequenceEqual(other.Networks)
        && Embeddings.Keys.OrderBy(k => k).SequenceEqual(other.Embeddings.Keys.OrderBy(k => k));

    public override int GetHashCode() => HashCode.Combine(Text, Style, ChunkCount);
}
