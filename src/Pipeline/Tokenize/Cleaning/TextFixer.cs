using System.Text;

namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// <c>ftfy.fix_text</c> with its default settings (ftfy 6.1–6.3), which both CLIP tokenizers run first.
/// The text is fixed line by line; each line is put through every fix, in ftfy's order, until it stops
/// changing. HTML entities are decoded only until the first line that contains "&lt;" (from then on the text
/// is taken for HTML source that means its entities).
/// </summary>
internal static class TextFixer
{
    /// <summary>ftfy's <c>max_decode_length</c>: longer lines are cut into pieces of this many code points.</summary>
    public const int MaxSegmentCodePoints = 1_000_000;

    /// <summary>Safety net for hostile input; ordinary text settles in two or three rounds.</summary>
    const int MaxRounds = 64;

    public static string Fix(string text)
    {
        var output = new StringBuilder(text.Length);
        bool unescapeHtml = true;
        int position = 0;
        while (position < text.Length)
        {
            int newline = text.IndexOf('\n', position);
            int end = newline < 0 ? text.Length : newline + 1;
            end = LimitToCodePoints(text, position, end, MaxSegmentCodePoints);
            string segment = text[position..end];
            if (segment.Contains('<')) unescapeHtml = false;
            output.Append(FixSegment(segment, unescapeHtml));
            position = end;
        }
        return output.ToString();
    }

    static string FixSegment(string text, bool unescapeHtml)
    {
        for (int round = 0; round < MaxRounds; round++)
        {
            string before = text;
            if (unescapeHtml) text = HtmlUnescape.Cautious(text);
            text = EncodingRepair.FixEncoding(text);
            text = CharacterFixes.FixC1Controls(text);
            text = CharacterFixes.FixLatinLigatures(text);
            text = CharacterFixes.FixCharacterWidth(text);
            text = CharacterFixes.UncurlQuotes(text);
            text = CharacterFixes.FixLineBreaks(text);
            text = CharacterFixes.FixSurrogates(text);
            text = CharacterFixes.RemoveTerminalEscapes(text);
            text = CharacterFixes.RemoveControlChars(text);
            text = PythonText.Nfc(text);
            if (text == before) return text;
        }
        return text;
    }

    /// <summary>The end of [start, end) shortened, if needed, to <paramref name="maxCodePoints"/> code points.</summary>
    static int LimitToCodePoints(string text, int start, int end, int maxCodePoints)
    {
        if (end - start <= maxCodePoints) return end;
        int at = start;
        for (int count = 0; count < maxCodePoints && at < end; count++)
            at += char.IsHighSurrogate(text[at]) && at + 1 < end && char.IsLowSurrogate(text[at + 1]) ? 2 : 1;
        return at;
    }
}
