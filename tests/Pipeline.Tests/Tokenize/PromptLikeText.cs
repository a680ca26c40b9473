using FsCheck;
using FsCheck.Fluent;

namespace Pipeline.Tests.Tokenize;

/// <summary>
/// Strings built like real prompts: words in many scripts and cases, emoji, numbers, weighting syntax,
/// curly quotes, ligatures, full-width forms, HTML entities, special-token literals, every kind of whitespace
/// and a few control characters, joined by spaces, commas and line breaks.
/// </summary>
public static class PromptLikeText
{
    static readonly string[] Fragments =
    [
        "a", "photo", "of", "an", "astronaut", "RIDING", "Horse", "masterpiece", "best quality", "8k",
        "café", "crème brûlée", "Zürich", "Ærøskøbing", "Straße", "GROẞE", "ΟΔΥΣΣΕΥΣ", "σοφία", "Кошка", "東京",
        "桜の木", "고양이", "नमस्ते", "แมวน่ารัก", "قطة", "İstanbul", "IĞDIR", "ǅ", "ŉ", "Ǳ", "ſ", "K", "Ω", "Å",
        "🙂", "🐱🐶", "👩\u200d🚀", "👍🏽", "🇯🇵", "❤️", "𝐀𝐁𝐂", "𝟏𝟐", "𠀀",
        "1girl", "2024-01-01", "3.14159", "1,000,000", "½", "²", "Ⅻ", "④", "١٢٣",
        "(masterpiece:1.2)", "[blurry]", "((sharp focus))", "{extra}", "<lora:detail:0.8>", "!!!", "...", "--", "#sdxl", "@user",
        "don’t", "it’s", "“quoted”", "‘single’", "it's", "IT'S", "'sup", "dog''s", "rock'n'roll",
        "ﬁne", "ﬂower", "ＳＤＸＬ", "ｶﾀｶﾅ", "&amp;", "&lt;3", "&quot;fun&quot;", "&#39;", "&copy 2024", "&#x1F600;", "AT&T",
        "<|startoftext|>", "<|endoftext|>", "<end_of_text>", "<START_OF_TEXT>", "</w>", "hello!<|endoftext|>",
        "zero\u200bwidth", "soft\u00adhyphen", "\u00a0", "\u3000", "\u2009", "\x07", "\x1b[31mred\x1b[0m", "\x85", "\x93q\x94", "\ufeff",
        "https://example.com/a?b=1&c=2",
    ];

    static readonly string[] Separators = ["", " ", " ", ", ", "\n", "\t", "\r\n", "\u2028"];

    public static Gen<string> Generator =>
        from count in Gen.Choose(0, 12)
        from parts in Gen.ArrayOf(
            from fragment in Gen.Elements(Fragments)
            from separator in Gen.Elements(Separators)
            select fragment + separator, count)
        select string.Concat(parts);

    public static Arbitrary<string> Strings() => Arb.From(Generator);
}
