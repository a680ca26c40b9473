using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipeline.Tokenize;
using Pipeline.Tokenize.Embeddings;
using Pipeline.Tokenize.Prompts;

namespace Pipeline.Tests.Tokenize;

/// <summary>
/// Laws of both chunkers: chunking never loses, adds or reorders a token and keeps each token's weight; every chunk is
/// start, at most 75 tokens, end, padding; only BREAK (A1111) and full chunks close one.
/// </summary>
public class ChunkingProperties
{
    /// <summary>The (id, weight) pairs of a chunk's content: between start-of-text and the end-of-text that closes it.</summary>
    static IEnumerable<(int Id, double Weight)> Content(TokenChunk chunk, int pad)
    {
        // Content ends where only end-of-text/padding (weight 1) follows.
        int last = chunk.Ids.Length - 1;
        while (last > 0 && (chunk.Ids[last] == ClipVocabulary.EndOfText || chunk.Ids[last] == pad) && chunk.Weights[last] == 1.0) last--;
        return Enumerable.Range(1, last).Select(i => (chunk.Ids[i], chunk.Weights[i]));
    }

    static bool WellFormed(EncoderChunks chunks, int pad) =>
        chunks.Chunks.Length >= 1 && chunks.Chunks.All(c =>
            c.Ids.Length == ClipVocabulary.ContextLength && c.Ids[0] == ClipVocabulary.StartOfText && c.Weights[0] == 1.0
            && c.Ids.Skip(1).Contains(ClipVocabulary.EndOfText) && (c.Ids[^1] == pad || c.Ids[^1] == ClipVocabulary.EndOfText)
            && Content(c, pad).Count() <= ClipVocabulary.MaxContentTokens);

    [Property(Arbitrary = [typeof(LongPrompts)], MaxTest = 200)]
    public Property A1111_chunking_keeps_every_token_in_order_with_its_pieces_weight(string prompt)
    {
        var parse = PromptAttention.Parse(prompt);
        if (!parse.Succeeded) return true.ToProperty();
        var tokenizer = ClipTokenizer.Get(ClipTokenizerVariant.ClipL);
        var expected = parse.Pieces.Where(p => !(p.Text == PromptAttention.Break && p.Weight == PromptAttention.BreakWeight))
            .SelectMany(p => tokenizer.EncodeContent(p.Text).Select(id => (id, p.Weight))).ToList();
        var chunks = A1111Chunker.Chunk(parse.Pieces, tokenizer, EmbeddingLibrary.Empty);
        var actual = chunks.Chunks.SelectMany(c => Content(c, tokenizer.PadId)).ToList();
        // Trailing weight-1 end-of-text ids that belong to the content are indistinguishable from padding; the generator has none.
        return (actual.SequenceEqual(expected) && WellFormed(chunks, tokenizer.PadId)
                && chunks.Chunks.Length >= (expected.Count + 74) / 75)
            .Label($"{expected.Count} tokens expected, {actual.Count} found in {chunks.Chunks.Length} chunks");
    }

    [Property(Arbitrary = [typeof(LongPrompts)], MaxTest = 200)]
    public Property Comfy_chunking_keeps_every_token_in_order_with_its_pieces_weight(string prompt)
    {
        var pieces = ComfyWeights.Parse(prompt);
        var tokenizer = ClipTokenizer.Get(ClipTokenizerVariant.ClipL);
        var expected = pieces.SelectMany(p => tokenizer.EncodeContent(p.Text).Select(id => (id, p.Weight))).ToList();
        foreach (int pad in new[] { ClipVocabulary.EndOfText, 0 })
        {
            var chunks = ComfyChunker.Chunk(pieces, pad, EmbeddingLibrary.Empty);
            var actual = chunks.Chunks.SelectMany(c => Content(c, pad)).ToList();
            if (!actual.SequenceEqual(expected) || !WellFormed(chunks, pad) || chunks.TokenCount != expected.Count)
                return false.Label($"pad {pad}: {expected.Count} tokens expected, {actual.Count} found in {chunks.Chunks.Length} chunks");
        }
        return true.ToProperty();
    }

    /// <summary>A1111's token count is 75 per closed chunk plus the last chunk's tokens; without BREAK or commas it is the token count.</summary>
    [Property(Arbitrary = [typeof(LongPrompts)], MaxTest = 200)]
    public bool A1111s_token_count_is_the_plain_count_without_BREAK_and_commas(string prompt)
    {
        var plain = prompt.Replace("BREAK", "break").Replace(",", " ");
        var parse = PromptAttention.Parse(plain);
        if (!parse.Succeeded) return true;
        var tokenizer = ClipTokenizer.Get(ClipTokenizerVariant.ClipL);
        int tokens = parse.Pieces.Sum(p => tokenizer.EncodeContent(p.Text).Length);
        var chunks = A1111Chunker.Chunk(parse.Pieces, tokenizer, EmbeddingLibrary.Empty);
        return chunks.TokenCount == tokens && chunks.Chunks.Length == Math.Max(1, (tokens + 74) / 75);
    }
}
