using System.Collections.Immutable;
using System.Text.RegularExpressions;
using Pipeline.Tokenize.Embeddings;

namespace Pipeline.Tokenize.Prompts;

/// <summary>
/// ComfyUI's tokenization with weights for one SDXL text encoder (<c>comfy/sd1_clip.py</c>,
/// <c>SDTokenizer.tokenize_with_weights</c>), written from its behaviour and checked against its outputs
/// (tests/reference/prompt-parser/comfy_sdxl_chunks.json):
/// <list type="bullet">
/// <item>each weighted piece (<see cref="ComfyWeights"/>) is split before every <c>embedding:</c> that follows a
/// space or newline; a part starting with <c>embedding:</c> names an embedding by its first word (a trailing comma
/// is tried off), and the rest of the part is text;</item>
/// <item>each text part is one token group; a group that does not fit the current chunk moves whole to the next one
/// when it has fewer than <see cref="MaxWordLength"/> tokens, else it is split at the chunk's end;</item>
/// <item>chunks are start-of-text, up to 75 tokens, end-of-text, padding (end-of-text for CLIP-L, 0 for bigG);
/// both encoders' ids come from the HF CLIP tokenizer, as in ComfyUI.</item>
/// </list>
/// A name with no embedding is an error here (ComfyUI warns and drops the word).
/// </summary>
public static partial class ComfyChunker
{
    /// <summary>ComfyUI's <c>max_word_length</c>: groups shorter than this are not split across chunks.</summary>
    public const int MaxWordLength = 8;

    /// <summary>The prefix that names an embedding.</summary>
    public const string EmbeddingPrefix = "embedding:";

    const int MaxLength = ClipVocabulary.ContextLength;

    [GeneratedRegex(" embedding:|\nembedding:", RegexOptions.CultureInvariant)]
    private static partial Regex EmbeddingSplit();

    /// <summary>A token or a textual-inversion vector, with its weight.</summary>
    readonly record struct Item(int Id, double Weight, string? Embedding, int Vector);

    /// <summary>
    /// The chunks of one encoder. ComfyUI tokenizes for both SDXL encoders with the HF CLIP tokenizer (CLIP-L's), so
    /// the ids always come from <see cref="ClipTokenizerVariant.ClipL"/>; the encoders differ only in
    /// <paramref name="pad"/> (end-of-text for CLIP-L, 0 for bigG).
    /// </summary>
    public static EncoderChunks Chunk(IReadOnlyList<(string Text, double Weight)> pieces, int pad, EmbeddingLibrary embeddings)
    {
        var tokenizer = ClipTokenizer.Get(ClipTokenizerVariant.ClipL);
        ArgumentNullException.ThrowIfNull(pieces);
        ArgumentNullException.ThrowIfNull(embeddings);
        var groups = new List<List<Item>>();
        foreach (var (segment, weight) in pieces)
        {
            var split = EmbeddingSplit().Split(segment);
            var parts = new List<string> { split[0] };
            parts.AddRange(split.Skip(1).Select(s => EmbeddingPrefix + s));
            foreach (var part in parts.Where(p => p.Length > 0))
            {
                var word = part;
                if (word.StartsWith(EmbeddingPrefix, StringComparison.Ordinal))
                {
                    var (embedding, leftover) = FindEmbedding(word[EmbeddingPrefix.Length..].Trim('\n'), embeddings);
                    groups.Add(Enumerable.Range(0, embedding.VectorCount).Select(v => new Item(A1111Chunker.Placeholder, weight, embedding.Name, v)).ToList());
                    if (leftover.Length == 0) continue;
                    word = leftover;
                }
                groups.Add(tokenizer.EncodeContent(word).Select(t => new Item(t, weight, null, 0)).ToList());
            }
        }

        var chunks = new List<List<Item>>();
        var chunk = new List<Item> { new(ClipVocabulary.StartOfText, 1.0, null, 0) };
        chunks.Add(chunk);
        var padding = new Item(pad, 1.0, null, 0);
        var end = new Item(ClipVocabulary.EndOfText, 1.0, null, 0);
        int tokenCount = 0;
        foreach (var group in groups)
        {
            tokenCount += group.Count;
            bool large = group.Count >= MaxWordLength;
            var rest = group;
            while (rest.Count > 0)
            {
                if (rest.Count + chunk.Count > MaxLength - 1)
                {
                    int remaining = MaxLength - chunk.Count - 1;
                    if (large)
                    {
                        chunk.AddRange(rest.Take(remaining));
                        chunk.Add(end);
                        rest = rest.Skip(remaining).ToList();
                    }
                    else
                    {
                        chunk.Add(end);
                        chunk.AddRange(Enumerable.Repeat(padding, remaining));
                    }
                    chunk = new List<Item> { new(ClipVocabulary.StartOfText, 1.0, null, 0) };
                    chunks.Add(chunk);
                }
                else
                {
                    chunk.AddRange(rest);
                    rest = new List<Item>();
                }
            }
        }
        chunk.Add(end);
        while (chunk.Count < MaxLength) chunk.Add(padding);

        return new EncoderChunks(chunks.Select(c => new TokenChunk(
            c.Select(i => i.Id).ToImmutableArray(),
            c.Select(i => i.Weight).ToImmutableArray(),
            c.Select((i, p) => (i, p)).Where(x => x.i.Embedding is not null).Select(x => new EmbeddingSlot(x.p, x.i.Embedding!, x.i.Vector)).ToImmutableArray()))
            .ToImmutableArray(), tokenCount);
    }

    /// <summary>The embedding named by the first word of <paramref name="text"/> and the text after it.</summary>
    static (TextualInversion Embedding, string Leftover) FindEmbedding(string text, EmbeddingLibrary embeddings)
    {
        var words = text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
        var name = words.Length > 0 ? words[0] : "";
        var leftover = string.Join(' ', words.Skip(1));
        var bare = StripName(name);
        if (embeddings.Resolve(bare) is { } found) return (embeddings.Get(found), leftover);
        var stripped = bare.Trim(',');
        if (stripped.Length < bare.Length && embeddings.Resolve(stripped) is { } foundStripped)
            return (embeddings.Get(foundStripped), $"{bare[stripped.Length..]} {leftover}");
        return (embeddings.Get(bare), leftover); // throws, naming the valid embeddings
    }

    /// <summary>ComfyUI accepts the name with or without a file extension.</summary>
    static string StripName(string name)
    {
        foreach (var ext in new[] { ".safetensors", ".pt", ".bin" })
            if (name.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return name[..^ext.Length];
        return name;
    }
}
