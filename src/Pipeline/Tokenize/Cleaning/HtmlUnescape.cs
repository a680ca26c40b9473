using System.Text.RegularExpressions;

namespace Pipeline.Tokenize.Cleaning;

/// <summary>The two HTML unescapers in play: Python's <c>html.unescape</c> and ftfy's more cautious one.</summary>
internal static class HtmlUnescape
{
    const RegexOptions Options = RegexOptions.CultureInvariant;

    /// <summary>A character reference as an HTML5 parser finds one: numeric, or a name of up to 32 characters, ";" optional.</summary>
    static readonly Regex CharacterReference = new(@"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)", Options);

    /// <summary>What ftfy considers an unambiguous entity: it has to end in ";".</summary>
    static readonly Regex TerminatedEntity = new(@"&#?[0-9A-Za-z]{1,24};", Options);

    /// <summary>
    /// Python's <c>html.unescape</c>: named references (legacy names also without ";", the longest such prefix
    /// of a longer word: "&amp;notit;" → "¬it;"), and numeric ones, with the HTML5 rules for bad numbers:
    /// 0x80–0x9F read as Windows-1252, surrogates and out-of-range numbers as U+FFFD, other
    /// non-characters and controls dropped.
    /// </summary>
    public static string Python(string text) =>
        text.Contains('&') ? CharacterReference.Replace(text, m => Replace(m.Groups[1].Value)) : text;

    /// <summary>
    /// ftfy's <c>unescape_html</c>: only references that end in ";" and are known (or are numeric and decode
    /// wholly), so that "AT&amp;T" or "this&amp;not that" stay as written.
    /// </summary>
    public static string Cautious(string text) =>
        text.Contains('&') ? TerminatedEntity.Replace(text, m => ReplaceCautiously(m.Value)) : text;

    static string ReplaceCautiously(string entity)
    {
        if (HtmlEntities.WithSemicolon.TryGetValue(entity, out string? value)) return value;
        if (!entity.StartsWith("&#", StringComparison.Ordinal)) return entity;
        string decoded = Python(entity);
        return decoded.Contains(';') ? entity : decoded;
    }

    static string Replace(string reference)
    {
        if (reference[0] == '#') return NumericReference(reference);
        var names = HtmlEntities.ByName;
        if (names.TryGetValue(reference, out string? value)) return value;
        for (int length = reference.Length - 1; length > 1; length--)
        {
            if (names.TryGetValue(reference[..length], out string? prefix)) return prefix + reference[length..];
        }
        return "&" + reference;
    }

    static string NumericReference(string reference)
    {
        bool hex = reference.Length > 1 && reference[1] is 'x' or 'X';
        string digits = reference[(hex ? 2 : 1)..].TrimEnd(';');
        long number = 0;
        foreach (char d in digits)
        {
            // The pattern admits only [0-9] (decimal) or [0-9a-fA-F] (hex); Python's int() has no upper bound.
            number = number * (hex ? 16 : 10) + (d <= '9' ? d - '0' : (d | 0x20) - 'a' + 10);
            if (number > 0x10FFFF) { number = long.MaxValue; break; }
        }
        if (Windows1252Fallback(number) is { } fallback) return fallback;
        if (number is >= 0xD800 and <= 0xDFFF || number > 0x10FFFF) return "\uFFFD";
        if (IsDroppedCodePoint((int)number)) return "";
        return char.ConvertFromUtf32((int)number);
    }

    /// <summary>What HTML5 makes of the numbers 0, CR and 0x80–0x9F.</summary>
    static string? Windows1252Fallback(long number) => number switch
    {
        0x00 => "\uFFFD",
        0x0D => "\r",
        >= 0x80 and <= 0x9F => (SingleByteCodePage.SloppyWindows1252.DecodeByte((byte)number) ?? '\uFFFD').ToString(),
        _ => null,
    };

    static bool IsDroppedCodePoint(int cp) =>
        cp is >= 0x01 and <= 0x08 or 0x0B or >= 0x0E and <= 0x1F or >= 0x7F and <= 0x9F or >= 0xFDD0 and <= 0xFDEF
        || (cp & 0xFFFE) == 0xFFFE;
}
