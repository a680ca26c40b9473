using System.Collections.Immutable;
using Pipeline.Tokenize.Embeddings;

namespace Pipeline.Tokenize.Prompts;

/// <summary>
/// A1111's long-prompt chunking for one text encoder (<c>modules/sd_hijack_clip.py</c>, <c>tokenize_line</c>), written
/// from its behaviour and checked against its outputs (tests/reference/prompt-parser/a1111_sdxl_chunks.json):
/// <list type="bullet">
/// <item>each parsed piece is tokenized on its own; a <c>("BREAK", -1)</c> piece closes the chunk;</item>
/// <item>a chunk holds 75 tokens; when it is full and the next token is not a comma, the tokens after the last comma
/// move to the next chunk if that comma is at most <see cref="CommaBacktrack"/> tokens back;</item>
/// <item>an embedding's name (its CLIP-L ids, longest name first) becomes its vectors' placeholders, all in one
/// chunk (a new one when they do not fit);</item>
/// <item>chunks are padded with end-of-text to 75, framed by start/end-of-text; after the first end-of-text the
/// encoder's own padding id follows (0 for OpenCLIP, as A1111's <c>process_tokens</c> does).</item>
/// </list>
/// </summary>
public static class A1111Chunker
{
    /// <summary>Content tokens per chunk.</summary>
    public const int ChunkLength = ClipVocabulary.MaxContentTokens;

    /// <summary>A1111's <c>comma_padding_backtrack</c> default.</summary>
    public const int CommaBacktrack = 20;

    /// <summary>The id of ",&lt;/w&gt;".</summary>
    public const int Comma = 267;

    /// <summary>The placeholder id at embedding positions.</summary>
    public const int Placeholder = 0;

    public static EncoderChunks Chunk(IReadOnlyList<(string Text, double Weight)> pieces, ClipTokenizer tokenizer, EmbeddingLibrary embeddings)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(embeddings);
        var chunks = ImmutableArray.CreateBuilder<TokenChunk>();
        var tokens = new List<int>();
        var weights = new List<double>();
        var slots = new List<EmbeddingSlot>();
        int tokenCount = 0, lastComma = -1;

        void Close(bool isLast = false)
        {
            tokenCount += isLast ? tokens.Count : ChunkLength;
            while (tokens.Count < ChunkLength) { tokens.Add(ClipVocabulary.EndOfText); weights.Add(1.0); }
            var ids = new[] { ClipVocabulary.StartOfText }.Concat(tokens).Append(ClipVocabulary.EndOfText).ToArray();
            if (tokenizer.PadId != ClipVocabulary.EndOfText)
            {
                int end = Array.IndexOf(ids, ClipVocabulary.EndOfText);
                for (int k = end + 1; k < ids.Length; k++) ids[k] = tokenizer.PadId;
            }
            chunks.Add(new TokenChunk(ids.ToImmutableArray(), new[] { 1.0 }.Concat(weights).Append(1.0).ToImmutableArray(),
                slots.Select(s => s with { Position = s.Position + 1 }).ToImmutableArray()));
            tokens.Clear();
            weights.Clear();
            slots.Clear();
            lastComma = -1;
        }

        foreach (var (text, weight) in pieces)
        {
            if (text == PromptAttention.Break && weight == PromptAttention.BreakWeight)
            {
                Close();
                continue;
            }
            var ids = tokenizer.EncodeContent(text);
            int position = 0;
            while (position < ids.Length)
            {
                int token = ids[position];
                if (token == Comma)
                {
                    lastComma = tokens.Count;
                }
                else if (tokens.Count == ChunkLength && lastComma != -1 && tokens.Count - lastComma <= CommaBacktrack)
                {
                    int breakAt = lastComma + 1;
                    var movedTokens = tokens.Skip(breakAt).ToList();
                    var movedWeights = weights.Skip(breakAt).ToList();
                    var movedSlots = slots.Where(s => s.Position >= breakAt).Select(s => s with { Position = s.Position - breakAt }).ToList();
                    tokens.RemoveRange(breakAt, tokens.Count - breakAt);
                    weights.RemoveRange(breakAt, weights.Count - breakAt);
                    slots.RemoveAll(s => s.Position >= breakAt);
                    Close();
                    tokens.AddRange(movedTokens);
                    weights.AddRange(movedWeights);
                    slots.AddRange(movedSlots);
                }
                if (tokens.Count == ChunkLength) Close();

                if (embeddings.Count == 0 || embeddings.FindAt(ids, position) is not { } found)
                {
                    tokens.Add(token);
                    weights.Add(weight);
                    position++;
                    continue;
                }
                var embedding = embeddings.Get(found.Name);
                int count = embedding.VectorCount;
                if (count > ChunkLength)
                    throw new ArgumentException($"embedding '{embedding.Name}' has {count} vectors; the A1111 style puts an embedding in one chunk of {ChunkLength} tokens (A1111 itself builds a chunk no encoder takes); the comfy style splits it across chunks");
                if (tokens.Count + count > ChunkLength) Close();
                for (int v = 0; v < count; v++)
                {
                    slots.Add(new EmbeddingSlot(tokens.Count, embedding.Name, v));
                    tokens.Add(Placeholder);
                    weights.Add(weight);
                }
                position += found.Length;
            }
        }
        if (tokens.Count > 0 || chunks.Count == 0) Close(isLast: true);
        return new EncoderChunks(chunks.ToImmutable(), tokenCount);
    }
}
