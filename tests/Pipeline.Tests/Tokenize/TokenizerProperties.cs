using FsCheck.Xunit;
using Pipeline.Tokenize;
using Xunit;

namespace Pipeline.Tests.Tokenize;

/// <summary>Laws every tokenized prompt obeys, for prompt-like and for hostile text.</summary>
public class TokenizerProperties
{
    static readonly ClipTokenizer ClipL = ClipTokenizer.Get(ClipTokenizerVariant.ClipL);
    static readonly ClipTokenizer OpenClip = ClipTokenizer.Get(ClipTokenizerVariant.OpenClip);
    static readonly ClipTokenizer[] Both = [ClipL, OpenClip];

    [Property(Arbitrary = [typeof(PromptLikeText)])]
    public bool Ids_are_always_77_long(string prompt) =>
        Both.All(t => t.Tokenize(prompt).Ids.Length == ClipVocabulary.ContextLength);

    [Property(Arbitrary = [typeof(HostileText)])]
    public bool Hostile_ids_are_always_77_long(string prompt) =>
        Both.All(t => t.Tokenize(prompt).Ids.Length == ClipVocabulary.ContextLength);

    [Property(Arbitrary = [typeof(PromptLikeText)])]
    public bool First_id_is_start_of_text(string prompt) =>
        Both.All(t => t.Tokenize(prompt).Ids[0] == ClipVocabulary.StartOfText);

    [Property(Arbitrary = [typeof(HostileText)])]
    public bool Ids_are_within_the_vocabulary(string prompt) =>
        Both.All(t => t.Tokenize(prompt).Ids.All(id => id is >= 0 and < ClipVocabulary.Size)
                      && t.Tokenize(prompt).UntruncatedIds.All(id => id is >= 0 and < ClipVocabulary.Size));

    /// <summary>[start] + first 75 content ids + [end] + the variant's padding (49407 for CLIP-L, 0 for OpenCLIP).</summary>
    [Property(Arbitrary = [typeof(PromptLikeText)])]
    public bool Layout_is_start_content_end_then_variant_padding(string prompt) =>
        Both.All(t =>
        {
            var result = t.Tokenize(prompt);
            int kept = Math.Min(result.UntruncatedIds.Length, ClipVocabulary.MaxContentTokens);
            int[] expected = [ClipVocabulary.StartOfText, .. result.UntruncatedIds.Take(kept), ClipVocabulary.EndOfText,
                .. Enumerable.Repeat(t.PadId, ClipVocabulary.ContextLength - kept - 2)];
            return result.Ids.SequenceEqual(expected)
                && result.DroppedTokens == result.UntruncatedIds.Length - kept
                && result.Truncated == result.UntruncatedIds.Length > ClipVocabulary.MaxContentTokens;
        });

    [Fact]
    public void Pad_ids_are_49407_for_ClipL_and_0_for_OpenClip()
    {
        Assert.Equal(ClipVocabulary.EndOfText, ClipL.PadId);
        Assert.Equal(0, OpenClip.PadId);
    }

    /// <summary>Unless the text itself spells &lt;end_of_text&gt;, the only 49407 before OpenCLIP's padding is the one it appends.</summary>
    [Property(Arbitrary = [typeof(PromptLikeText)])]
    public bool OpenClip_has_exactly_one_end_of_text_before_padding(string prompt)
    {
        if (OpenClip.Clean(prompt).Contains("<end_of_text>", StringComparison.Ordinal)) return true;
        var ids = OpenClip.Tokenize(prompt).Ids;
        int end = ids.IndexOf(ClipVocabulary.EndOfText);
        return ids.Count(id => id == ClipVocabulary.EndOfText) == 1 && ids.Skip(end + 1).All(id => id == 0);
    }

    /// <summary>
    /// Cleaning twice changes nothing more, for prompt-like text. (Not for all text: the originals are not
    /// idempotent on some mojibake, where lowercasing lets ftfy see a different pattern the second time.)
    /// </summary>
    [Property(Arbitrary = [typeof(PromptLikeText)])]
    public bool Cleaning_is_idempotent(string prompt) =>
        Both.All(t => t.Clean(t.Clean(prompt)) == t.Clean(prompt));

    [Property(Arbitrary = [typeof(HostileText)], MaxTest = 300)]
    public bool Tokenizing_never_throws(string prompt)
    {
        var tokens = TokenizeStage.Run([prompt ?? ""]);
        return tokens.Count == 1;
    }
}
