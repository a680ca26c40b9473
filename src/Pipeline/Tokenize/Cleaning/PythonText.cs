using System.Globalization;
using System.Text;

namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// Python 3 string semantics that .NET does not share: strings of code points (a lone surrogate is one),
/// <c>str.isspace</c>, regex <c>\w</c>, whitespace collapse and <c>str.lower</c> with full case mapping.
/// </summary>
internal static class PythonText
{
    /// <summary>The text as Python sees it: one entry per code point; an unpaired surrogate is its own entry.</summary>
    public static int[] ToCodePoints(string text)
    {
        var codePoints = new int[text.Length];
        int count = 0;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                codePoints[count++] = char.ConvertToUtf32(c, text[i + 1]);
                i++;
            }
            else
            {
                codePoints[count++] = c;
            }
        }
        return count == codePoints.Length ? codePoints : codePoints[..count];
    }

    /// <summary>The code point at <paramref name="index"/>: a surrogate pair is one (<paramref name="width"/> 2), an unpaired surrogate is itself.</summary>
    public static int CodePointAt(string text, int index, out int width)
    {
        char c = text[index];
        if (char.IsHighSurrogate(c) && index + 1 < text.Length && char.IsLowSurrogate(text[index + 1]))
        {
            width = 2;
            return char.ConvertToUtf32(c, text[index + 1]);
        }
        width = 1;
        return c;
    }

    /// <summary>Unicode category of a code point; an unpaired surrogate is <see cref="UnicodeCategory.Surrogate"/>.</summary>
    public static UnicodeCategory Category(int codePoint) =>
        codePoint is >= 0xD800 and <= 0xDFFF ? UnicodeCategory.Surrogate : CharUnicodeInfo.GetUnicodeCategory(codePoint);

    /// <summary>The Unicode White_Space property (the <c>regex</c> module's <c>\s</c>).</summary>
    public static bool IsWhiteSpace(int codePoint) => codePoint < 0x10000 && char.IsWhiteSpace((char)codePoint);

    /// <summary>Python's <c>str.isspace</c> (and <c>re</c>'s <c>\s</c>): White_Space plus the separators U+001C–U+001F.</summary>
    public static bool IsSpace(int codePoint) => codePoint is >= 0x1C and <= 0x1F || IsWhiteSpace(codePoint);

    /// <summary>Python <c>re</c>'s <c>\w</c> on text: letters, numbers (any kind) and the underscore.</summary>
    public static bool IsWordChar(int codePoint) => codePoint == '_' || IsLetter(codePoint) || IsNumber(codePoint);

    /// <summary><c>\p{L}</c>.</summary>
    public static bool IsLetter(int codePoint) => Category(codePoint) is UnicodeCategory.UppercaseLetter
        or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter or UnicodeCategory.ModifierLetter
        or UnicodeCategory.OtherLetter;

    /// <summary><c>\p{N}</c>.</summary>
    public static bool IsNumber(int codePoint) => Category(codePoint) is UnicodeCategory.DecimalDigitNumber
        or UnicodeCategory.LetterNumber or UnicodeCategory.OtherNumber;

    /// <summary>
    /// <c>unicodedata.normalize("NFC", text)</c>. .NET refuses to normalize text containing the noncharacter
    /// U+FFFE, which Python passes through; it has no decomposition and combines with nothing, so the text is
    /// normalized piecewise around it.
    /// </summary>
    public static string Nfc(string text)
    {
        if (!text.Contains('\uFFFE')) return text.IsNormalized(NormalizationForm.FormC) ? text : text.Normalize(NormalizationForm.FormC);
        return string.Join('\uFFFE', text.Split('\uFFFE').Select(Nfc));
    }

    /// <summary>
    /// <c>re.sub(r"\s+", " ", text).strip()</c> as the CLIP tokenizers do it: runs of White_Space become one
    /// space, then leading and trailing <c>str.isspace</c> characters go.
    /// </summary>
    public static string CollapseWhitespace(string text)
    {
        var output = new StringBuilder(text.Length);
        bool inRun = false;
        foreach (char c in text)
        {
            if (IsWhiteSpace(c))
            {
                if (!inRun) output.Append(' ');
                inRun = true;
            }
            else
            {
                output.Append(c);
                inRun = false;
            }
        }
        return Strip(output.ToString());
    }

    /// <summary>Python's <c>str.strip()</c>.</summary>
    public static string Strip(string text)
    {
        int start = 0, end = text.Length;
        while (start < end && IsSpace(text[start])) start++;
        while (end > start && IsSpace(text[end - 1])) end--;
        return start == 0 && end == text.Length ? text : text[start..end];
    }

    /// <summary>
    /// Python's <c>str.lower()</c>: the simple lowercase mapping, except U+0130 İ → "i" + U+0307 (full mapping)
    /// and Σ → ς where it ends a word (the Final_Sigma rule).
    /// </summary>
    public static string Lower(string text)
    {
        int[] codePoints = ToCodePoints(text);
        var output = new StringBuilder(text.Length);
        for (int i = 0; i < codePoints.Length; i++)
        {
            int cp = codePoints[i];
            if (cp == 0x0130) output.Append("i\u0307");
            else if (cp == 0x03A3) output.Append(IsFinalSigma(codePoints, i) ? '\u03C2' : '\u03C3');
            else if (cp is >= 0xD800 and <= 0xDFFF) output.Append((char)cp);
            else if (cp < 0x10000) output.Append(char.ToLowerInvariant((char)cp));
            else output.Append(Rune.ToLowerInvariant(new Rune(cp)).ToString());
        }
        return output.ToString();
    }

    /// <summary>Final_Sigma: a cased letter before (skipping case-ignorables) and none after.</summary>
    static bool IsFinalSigma(int[] codePoints, int at)
    {
        int before = at - 1;
        while (before >= 0 && IsCaseIgnorable(codePoints[before])) before--;
        if (before < 0 || !IsCased(codePoints[before])) return false;
        int after = at + 1;
        while (after < codePoints.Length && IsCaseIgnorable(codePoints[after])) after++;
        return after == codePoints.Length || !IsCased(codePoints[after]);
    }

    /// <summary>The Cased property: upper/lower/title-case letters and the other characters with a case mapping (Ⓐ, ⅰ, ...), plus ª and º.</summary>
    static bool IsCased(int codePoint)
    {
        if (codePoint is 0x00AA or 0x00BA) return true;
        if (Category(codePoint) is UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter)
            return true;
        if (codePoint is >= 0xD800 and <= 0xDFFF) return false;
        var rune = new Rune(codePoint);
        return Rune.ToLowerInvariant(rune) != rune || Rune.ToUpperInvariant(rune) != rune;
    }

    /// <summary>Case_Ignorable: marks, format characters, modifier letters and symbols, and the mid-word punctuation of UAX #29.</summary>
    static bool IsCaseIgnorable(int codePoint) =>
        Category(codePoint) is UnicodeCategory.NonSpacingMark or UnicodeCategory.EnclosingMark or UnicodeCategory.Format
            or UnicodeCategory.ModifierLetter or UnicodeCategory.ModifierSymbol
        || codePoint is 0x0027 or 0x002E or 0x003A or 0x00B7 or 0x0387 or 0x055F or 0x05F4 or 0x2018 or 0x2019
            or 0x2024 or 0x2027 or 0xFE13 or 0xFE52 or 0xFE55 or 0xFF07 or 0xFF0E or 0xFF1A;
}
