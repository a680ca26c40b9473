using System.Collections.Frozen;
using System.Collections.Immutable;
using Microsoft.ML.Tokenizers;

namespace Pipeline.Tokenize;

/// <summary>
/// A CLIP BPE tokenizer of one SDXL variant, producing exactly the ids of the original code
/// (HF <c>CLIPTokenizer</c> for CLIP-L, <c>open_clip.tokenize</c> for OpenCLIP bigG).
/// Built on Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>: CLIP's vocabulary and merges, end-of-word
/// suffix "&lt;/w&gt;", byte-level alphabet, the variant's special tokens, with CLIP's text clean-up as its
/// normalizer and CLIP's word split as its pre-tokenizer. Instances are immutable and thread-safe.
/// </summary>
public sealed class ClipTokenizer
{
    static readonly Lazy<ClipTokenizer> ClipLTokenizer = new(() => new ClipTokenizer(ClipTokenizerVariant.ClipL));
    static readonly Lazy<ClipTokenizer> OpenClipTokenizer = new(() => new ClipTokenizer(ClipTokenizerVariant.OpenClip));

    readonly BpeTokenizer _bpe;
    readonly ClipTextNormalizer _normalizer;
    readonly ClipPreTokenizer _preTokenizer;

    ClipTokenizer(ClipTokenizerVariant variant)
    {
        Variant = variant;
        SpecialLiterals = (variant == ClipTokenizerVariant.ClipL
            ? new Dictionary<string, int> { [ClipVocabulary.StartOfTextLiteral] = ClipVocabulary.StartOfText, [ClipVocabulary.EndOfTextLiteral] = ClipVocabulary.EndOfText }
            : new Dictionary<string, int> { ["<start_of_text>"] = ClipVocabulary.StartOfText, ["<end_of_text>"] = ClipVocabulary.EndOfText })
            .ToFrozenDictionary(StringComparer.Ordinal);
        PadId = variant == ClipTokenizerVariant.ClipL ? ClipVocabulary.EndOfText : 0;
        _normalizer = new ClipTextNormalizer(variant);
        _preTokenizer = new ClipPreTokenizer(SpecialLiterals.Keys);
        _bpe = BpeTokenizer.Create(new BpeOptions(ClipVocabulary.Vocabulary)
        {
            Merges = ClipVocabulary.Merges,
            EndOfWordSuffix = ClipVocabulary.EndOfWordSuffix,
            ByteLevel = true,
            SpecialTokens = SpecialLiterals,
            Normalizer = _normalizer,
            PreTokenizer = _preTokenizer,
        });
    }

    /// <summary>The tokenizer of <paramref name="variant"/>; built on first use (vocabulary read once), then shared.</summary>
    public static ClipTokenizer Get(ClipTokenizerVariant variant) => variant switch
    {
        ClipTokenizerVariant.ClipL => ClipLTokenizer.Value,
        ClipTokenizerVariant.OpenClip => OpenClipTokenizer.Value,
        _ => throw new ArgumentOutOfRangeException(nameof(variant), variant,
            $"Unknown CLIP tokenizer variant. Valid variants: {string.Join(", ", Enum.GetNames<ClipTokenizerVariant>())}."),
    };

    public ClipTokenizerVariant Variant { get; }

    /// <summary>The id that fills the 77 slots after end-of-text: 49407 for CLIP-L, 0 for OpenCLIP.</summary>
    public int PadId { get; }

    /// <summary>The special-token literals this variant maps straight to ids (after clean-up, as whole words).</summary>
    public IReadOnlyDictionary<string, int> SpecialLiterals { get; }

    /// <summary>Tokenizes one prompt to the 77 ids of this variant, with all content ids and the count cut off.</summary>
    /// <exception cref="ArgumentNullException">When <paramref name="text"/> is null.</exception>
    public TokenizedPrompt Tokenize(string text)
    {
        if (text is null) throw new ArgumentNullException(nameof(text), "A prompt cannot be null; use \"\" for an empty prompt.");
        ImmutableArray<int> content = EncodeContent(text);
        return Layout(content);
    }

    /// <summary>Tokenizes each prompt, in order.</summary>
    /// <exception cref="ArgumentException">When the list or one of its prompts is null (the message names the index).</exception>
    public ImmutableArray<TokenizedPrompt> TokenizeBatch(IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var results = ImmutableArray.CreateBuilder<TokenizedPrompt>(prompts.Count);
        for (int i = 0; i < prompts.Count; i++)
        {
            if (prompts[i] is null) throw new ArgumentException($"Prompt {i} of {prompts.Count} is null; use \"\" for an empty prompt.", nameof(prompts));
            results.Add(Tokenize(prompts[i]));
        }
        return results.MoveToImmutable();
    }

    /// <summary>The text after this variant's clean-up (what the words are split from).</summary>
    internal string Clean(string text) => _normalizer.Normalize(text);

    /// <summary>The words of already cleaned text.</summary>
    internal IEnumerable<string> SplitWords(string cleaned) =>
        _preTokenizer.Split(cleaned).Select(w => cleaned.Substring(w.Offset, w.Length));

    /// <summary>All content ids of a prompt, without start/end of text.</summary>
    internal ImmutableArray<int> EncodeContent(string text)
    {
        var ids = ImmutableArray.CreateBuilder<int>();
        if (Variant == ClipTokenizerVariant.ClipL)
        {
            // HF splits the raw prompt on its added tokens before any clean-up, case-sensitively and wherever they
            // stand; the library only knows special tokens after normalization, so this split wraps it.
            foreach (var (chunk, specialId) in SplitOnAddedTokens(text))
            {
                if (specialId is { } id) ids.Add(id);
                else ids.AddRange(_bpe.EncodeToIds(chunk));
            }
        }
        else
        {
            ids.AddRange(_bpe.EncodeToIds(text));
        }
        return ids.ToImmutable();
    }

    /// <summary>The raw prompt cut at each exact "&lt;|startoftext|&gt;" / "&lt;|endoftext|&gt;": text chunks, and literals as their ids.</summary>
    static IEnumerable<(string Chunk, int? SpecialId)> SplitOnAddedTokens(string text)
    {
        int start = 0;
        int at = text.IndexOf("<|", StringComparison.Ordinal);
        while (at >= 0)
        {
            int? id = text.AsSpan(at).StartsWith(ClipVocabulary.StartOfTextLiteral, StringComparison.Ordinal) ? ClipVocabulary.StartOfText
                : text.AsSpan(at).StartsWith(ClipVocabulary.EndOfTextLiteral, StringComparison.Ordinal) ? ClipVocabulary.EndOfText
                : null;
            if (id is null)
            {
                at = text.IndexOf("<|", at + 1, StringComparison.Ordinal);
                continue;
            }
            if (at > start) yield return (text[start..at], null);
            yield return ("", id);
            start = at + (id == ClipVocabulary.StartOfText ? ClipVocabulary.StartOfTextLiteral.Length : ClipVocabulary.EndOfTextLiteral.Length);
            at = text.IndexOf("<|", start, StringComparison.Ordinal);
        }
        if (start < text.Length) yield return (text[start..], null);
    }

    /// <summary>[start] + content[..75] + [end], padded to 77 with this variant's pad id.</summary>
    TokenizedPrompt Layout(ImmutableArray<int> content)
    {
        int kept = Math.Min(content.Length, ClipVocabulary.MaxContentTokens);
        var ids = new int[ClipVocabulary.ContextLength];
        ids[0] = ClipVocabulary.StartOfText;
        content.AsSpan(0, kept).CopyTo(ids.AsSpan(1));
        ids[kept + 1] = ClipVocabulary.EndOfText;
        ids.AsSpan(kept + 2).Fill(PadId);
        return new TokenizedPrompt(ImmutableArray.Create(ids), content, content.Length - kept);
    }
}
