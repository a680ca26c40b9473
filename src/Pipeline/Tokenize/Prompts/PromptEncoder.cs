using System.Collections.Immutable;
using Pipeline.Tokenize.Embeddings;

namespace Pipeline.Tokenize.Prompts;

/// <summary>
/// The Tokenize stage for one prompt: text → <see cref="PromptEncoding"/> in a <see cref="PromptStyle"/> (parse,
/// extra-network tags, textual-inversion names, 75-token chunks with per-token weights for both encoders).
/// Pure: the same text, style and library give the same encoding.
/// </summary>
public static class PromptEncoder
{
    /// <summary>Reads <paramref name="text"/>; throws <see cref="ArgumentException"/> with the reason when it cannot be read.</summary>
    public static PromptEncoding Encode(string text, PromptStyle style = PromptStyles.Default, EmbeddingLibrary? embeddings = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        embeddings ??= EmbeddingLibrary.Empty;
        var clipL = ClipTokenizer.Get(ClipTokenizerVariant.ClipL);
        var openClip = ClipTokenizer.Get(ClipTokenizerVariant.OpenClip);
        switch (style)
        {
            case PromptStyle.Sgm:
            {
                var l = clipL.Tokenize(text);
                var g = openClip.Tokenize(text);
                return new PromptEncoding(text, style, ImmutableArray.Create((text, 1.0)), Whole(l), Whole(g),
                    ImmutableArray<ExtraNetworkTag>.Empty, ImmutableDictionary<string, TextualInversion>.Empty);
            }
            case PromptStyle.A1111:
            {
                var (stripped, tags) = ExtraNetworks.Strip(text);
                var parse = PromptAttention.Parse(stripped);
                if (!parse.Succeeded) throw new ArgumentException($"prompt {Quote(text)}: {parse.Error}");
                var pieces = parse.Pieces.ToImmutableArray();
                var l = A1111Chunker.Chunk(pieces, clipL, embeddings);
                var g = A1111Chunker.Chunk(pieces, openClip, embeddings);
                return new PromptEncoding(text, style, pieces, l, g, tags, Used(embeddings, l, g));
            }
            case PromptStyle.Comfy:
            {
                var pieces = ComfyWeights.Parse(text).ToImmutableArray();
                var l = ComfyChunker.Chunk(pieces, clipL.PadId, embeddings);
                var g = ComfyChunker.Chunk(pieces, openClip.PadId, embeddings);
                return new PromptEncoding(text, style, pieces, l, g, ImmutableArray<ExtraNetworkTag>.Empty, Used(embeddings, l, g));
            }
            default:
                throw new ArgumentOutOfRangeException(nameof(style), style, $"valid: {string.Join(", ", PromptStyles.Names)}");
        }
    }

    /// <summary>sgm's single window: the tokenizer's 77 ids, weight 1, the cut-off count kept.</summary>
    static EncoderChunks Whole(TokenizedPrompt p) => new(
        ImmutableArray.Create(new TokenChunk(p.Ids, Enumerable.Repeat(1.0, p.Ids.Length).ToImmutableArray(), ImmutableArray<EmbeddingSlot>.Empty)),
        p.UntruncatedIds.Length, p.DroppedTokens);

    static ImmutableDictionary<string, TextualInversion> Used(EmbeddingLibrary library, params EncoderChunks[] encoders) =>
        encoders.SelectMany(e => e.Chunks).SelectMany(c => c.Embeddings).Select(s => s.Name).Distinct()
            .ToImmutableDictionary(n => n, library.Get);

    static string Quote(string text) => "\"" + (text.Length > 60 ? text[..57] + "…" : text) + "\"";
}
