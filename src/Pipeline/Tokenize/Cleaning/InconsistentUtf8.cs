using System.Text;
using System.Text.RegularExpressions;

namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// ftfy's <c>decode_inconsistent_utf8</c>: finds stretches that look like UTF-8 read as a single-byte code page
/// inside text that as a whole is not (so the whole-text repair failed), and repairs each stretch that is bad
/// on its own.
/// </summary>
internal static class InconsistentUtf8
{
    /// <summary>
    /// Runs of "lead letter + continuation letters", where a lead letter is what a UTF-8 lead byte (C2–DF,
    /// E0–EF, F0/F3) reads as in Latin-1 or Windows-125x, and a continuation letter what 80–BF reads as (or a
    /// space, standing for A0). Not right after a continuation letter other than a space, dash, quote, bullet or
    /// ellipsis, so a few letters inside a bigger garble are left alone.
    /// </summary>
    static readonly Regex Utf8Lookalike = Build();

    public static bool HasUtf8Lookalike(string text) => Utf8Lookalike.IsMatch(text);

    public static string Decode(string text) => Utf8Lookalike.Replace(text, m =>
    {
        string stretch = m.Value;
        return stretch.Length < text.Length && MojibakeHeuristic.IsBad(stretch) ? EncodingRepair.FixEncoding(stretch) : stretch;
    });

    static Regex Build()
    {
        string firstOf2 = Class(DecodedBytes(0xC2, 0xDF));
        string firstOf3 = Class(DecodedBytes(0xE0, 0xEF));
        string firstOf4 = Class(DecodedBytes(0xF0, 0xF0).Union(DecodedBytes(0xF3, 0xF3)));
        var continuationChars = DecodedBytes(0x80, 0xBF).ToHashSet();
        string continuation = Class(continuationChars.Append(' '));
        string notStandingForThemselves = "\u2013\u2014\u2015\u2018\u2019\u201A\u201C\u201D\u201E\u2022\u2026";
        string strictContinuation = Class(continuationChars.Where(c => !notStandingForThemselves.Contains(c)));
        string pattern =
            $"(?<!{strictContinuation})(?:{firstOf2}{continuation}|{firstOf3}{continuation}{{2}}|{firstOf4}{continuation}{{3}})+";
        return new Regex(pattern, RegexOptions.CultureInvariant);
    }

    /// <summary>Every char that a byte in [first, last] decodes to, in any of the clue code pages.</summary>
    static IEnumerable<char> DecodedBytes(int first, int last) =>
        SingleByteCodePage.ClueSources
            .SelectMany(page => Enumerable.Range(first, last - first + 1).Select(b => page.DecodeByte((byte)b)))
            .OfType<char>()
            .Distinct();

    static string Class(IEnumerable<char> chars)
    {
        var set = new StringBuilder("[");
        foreach (char c in chars.Distinct().Order()) set.Append($"\\u{(int)c:X4}");
        return set.Append(']').ToString();
    }
}
