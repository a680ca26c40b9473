using Pipeline.Tokenize;
using Xunit;

namespace Pipeline.Tests.Tokenize;

/// <summary>
/// The clean-up rules one by one, per variant. Expected strings are what openai CLIP / open_clip (ftfy 6.3.1)
/// and HF CLIPTokenizer produce for the same input.
/// </summary>
public class TextCleaningTests
{
    static readonly ClipTokenizer ClipL = ClipTokenizer.Get(ClipTokenizerVariant.ClipL);
    static readonly ClipTokenizer OpenClip = ClipTokenizer.Get(ClipTokenizerVariant.OpenClip);

    [Theory]
    [InlineData("cafÃ© au lait", "café au lait")]
    [InlineData("The Mona Lisa doesnÃ¢â‚¬â„¢t have eyebrows.", "the mona lisa doesn't have eyebrows.")]
    [InlineData("\u001b[31mred\u001b[0m", "red")]
    [InlineData("ellipsis\u0085 here", "ellipsis… here")]
    [InlineData("\u0093quoted\u0094", "\"quoted\"")]
    [InlineData("ΟΔΥΣΣΕΥΣ", "οδυσσευς")]
    [InlineData("İstanbul", "i\u0307stanbul")]
    [InlineData("GROẞE", "große")]
    [InlineData("ＳＤＸＬ ｶﾀｶﾅ", "sdxl カタカナ")]
    [InlineData("ﬁne ﬂowers", "fine flowers")]
    [InlineData("\ufeffbom", "bom")]
    [InlineData("line\u2028sep", "line sep")]
    [InlineData("AT&T &EACUTE; &SZLIG;", "at&t é ss")]
    [InlineData("P&eacute;rez", "pérez")]
    [InlineData("&amp;amp;lt;", "<")]
    [InlineData("\ufffea", "\ufffea")]
    [InlineData("it'ſ ok", "it'ſ ok")]
    public void Both_variants_clean_alike(string prompt, string cleaned)
    {
        Assert.Equal(cleaned, OpenClip.Clean(prompt));
        Assert.Equal(cleaned, ClipL.Clean(prompt));
    }

    /// <summary>open_clip unescapes HTML twice more after ftfy; HF leaves what ftfy left.</summary>
    [Theory]
    [InlineData("&copy 2024", "© 2024", "&copy 2024")]
    [InlineData("&notit;", "¬it;", "&notit;")]
    [InlineData("a < b &amp; c", "a < b & c", "a < b &amp; c")]
    [InlineData("x &amp; y\n<b> &amp;\n&amp;", "x & y <b> & &", "x & y <b> &amp; &amp;")]
    public void Html_entities_depend_on_the_variant(string prompt, string openClip, string clipL)
    {
        Assert.Equal(openClip, OpenClip.Clean(prompt));
        Assert.Equal(clipL, ClipL.Clean(prompt));
    }

    [Fact]
    public void Lone_surrogates_are_read_as_replacement_characters()
    {
        Assert.Equal(OpenClip.Tokenize("a\uFFFDb"), OpenClip.Tokenize("a\uD800b"));
        Assert.Equal(ClipL.Tokenize("\uFFFD x \uFFFD"), ClipL.Tokenize("\uDC00 x \uD83D"));
    }

    [Fact]
    public void Special_literals_follow_each_variant()
    {
        Assert.Equal([3306, 256, 49407, 1002], ClipL.Tokenize("hello!<|endoftext|>world").UntruncatedIds.ToArray());
        Assert.Equal([3306, 0, 27, 347, 40786, 4160, 91, 285, 1002], OpenClip.Tokenize("hello!<|endoftext|>world").UntruncatedIds.ToArray());
        Assert.Equal([ClipVocabulary.StartOfText], OpenClip.Tokenize("<START_OF_TEXT>").UntruncatedIds.ToArray());
    }

    /// <summary>Python's case-insensitive regex lets "ſ" match "s": "'ſ" is a contraction, and "&lt;ſtart_of_text&gt;" one word (BPE'd, not special).</summary>
    [Fact]
    public void Long_s_matches_s_case_insensitively()
    {
        Assert.Equal(["it", "'ſ", "<ſtart_of_text>", "x"], OpenClip.SplitWords("it'ſ <ſtart_of_text> x"));
        Assert.Equal([585, 6, 129, 379, 27, 129, 123, 16707, 62, 684, 62, 18169, 285, 343],
            OpenClip.Tokenize("it'ſ <ſtart_of_text> x").UntruncatedIds.ToArray());
    }

    /// <summary>U+0345 folds to the letter ι, so Python's case-insensitive pattern matches it with no alternative: it is skipped.</summary>
    [Fact]
    public void Ypogegrammeni_is_skipped_like_whitespace()
    {
        Assert.Equal(["βγȼ", "ȧ", "`"], OpenClip.SplitWords("βγȼ\u0345ȧ`"));
        Assert.Equal(["!", "!"], ClipL.SplitWords("!\u0345!"));
    }

    [Fact]
    public void Letters_and_digits_outside_the_BMP_are_letters_and_digits()
    {
        Assert.Equal(["𝐀bc", "𝟏", "2", "𠀀x"], OpenClip.SplitWords("𝐀bc 𝟏2 𠀀x"));
    }
}
