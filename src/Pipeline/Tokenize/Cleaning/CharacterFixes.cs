using System.Collections.Frozen;
using System.Text;

namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// ftfy's character-level fixes, each a pure function of the text, in the order ftfy applies them after its
/// encoding repair: C1 controls, Latin ligatures, character width, curly quotes, line breaks, surrogates,
/// terminal escapes, control characters.
/// </summary>
internal static class CharacterFixes
{
    /// <summary>C1 controls (U+0080–U+009F) read as the Windows-1252 characters they stand for; the five it leaves undefined stay.</summary>
    public static string FixC1Controls(string text)
    {
        if (!HasAny(text, '\u0080', '\u009F')) return text;
        return Map(text, c => c is >= '\u0080' and <= '\u009F' ? SingleByteCodePage.SloppyWindows1252.DecodeByte((byte)c)!.Value.ToString() : null);
    }

    /// <summary>Latin ligatures and the legacy digraph letters, which are copy/paste accidents, split into their letters.</summary>
    public static string FixLatinLigatures(string text) => Map(text, c => Ligatures.GetValueOrDefault(c));

    static readonly FrozenDictionary<char, string> Ligatures = new Dictionary<char, string>
    {
        ['\u0132'] = "IJ", ['\u0133'] = "ij", ['\u0149'] = "\u02BCn",
        ['\u01F1'] = "DZ", ['\u01F2'] = "Dz", ['\u01F3'] = "dz",
        ['\u01C4'] = "D\u017D", ['\u01C5'] = "D\u017E", ['\u01C6'] = "d\u017E",
        ['\u01C7'] = "LJ", ['\u01C8'] = "Lj", ['\u01C9'] = "lj",
        ['\u01CA'] = "NJ", ['\u01CB'] = "Nj", ['\u01CC'] = "nj",
        ['\uFB00'] = "ff", ['\uFB01'] = "fi", ['\uFB02'] = "fl", ['\uFB03'] = "ffi",
        ['\uFB04'] = "ffl", ['\uFB05'] = "\u017Ft", ['\uFB06'] = "st",
    }.ToFrozenDictionary();

    /// <summary>Fullwidth and halfwidth forms (U+FF01–U+FFEF) replaced by their NFKC equivalents, and U+3000 by a space.</summary>
    public static string FixCharacterWidth(string text) => Map(text, c => WidthForms.GetValueOrDefault(c));

    static readonly FrozenDictionary<char, string> WidthForms = BuildWidthForms();

    static FrozenDictionary<char, string> BuildWidthForms()
    {
        var forms = new Dictionary<char, string> { ['\u3000'] = " " };
        for (char c = '\uFF01'; c < '\uFFF0'; c++)
        {
            string single = c.ToString();
            string normal = single.Normalize(NormalizationForm.FormKC);
            if (normal != single) forms[c] = normal;
        }
        return forms.ToFrozenDictionary();
    }

    /// <summary>Curly single quotes (and ʼ) become ', curly double quotes become ".</summary>
    public static string UncurlQuotes(string text) => Map(text, c => c switch
    {
        '\u02BC' or >= '\u2018' and <= '\u201B' => "'",
        >= '\u201C' and <= '\u201F' => "\"",
        _ => null,
    });

    /// <summary>CRLF, CR, U+2028, U+2029 and NEL become LF, in that order of replacement.</summary>
    public static string FixLineBreaks(string text) => text
        .Replace("\r\n", "\n", StringComparison.Ordinal)
        .Replace("\r", "\n", StringComparison.Ordinal)
        .Replace("\u2028", "\n", StringComparison.Ordinal)
        .Replace("\u2029", "\n", StringComparison.Ordinal)
        .Replace("\u0085", "\n", StringComparison.Ordinal);

    /// <summary>Unpaired surrogates become U+FFFD (paired ones already are one character in .NET).</summary>
    public static string FixSurrogates(string text)
    {
        int i = 0;
        for (; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) break;
        }
        if (i == text.Length) return text;
        var chars = text.ToCharArray();
        for (; i < chars.Length; i++)
        {
            if (char.IsHighSurrogate(chars[i]) && i + 1 < chars.Length && char.IsLowSurrogate(chars[i + 1])) i++;
            else if (char.IsSurrogate(chars[i])) chars[i] = '\uFFFD';
        }
        return new string(chars);
    }

    /// <summary>
    /// Removes ANSI terminal escapes: ESC "[" then decimal digits (of any script, as Python's <c>\d</c>) and ";",
    /// then one ASCII letter.
    /// </summary>
    public static string RemoveTerminalEscapes(string text)
    {
        int escape = text.IndexOf("\u001B[", StringComparison.Ordinal);
        if (escape < 0) return text;
        var output = new StringBuilder(text.Length);
        int copied = 0;
        while (escape >= 0)
        {
            int at = escape + 2;
            while (at < text.Length)
            {
                int cp = PythonText.CodePointAt(text, at, out int width);
                if (cp == ';' || PythonText.Category(cp) == System.Globalization.UnicodeCategory.DecimalDigitNumber) at += width;
                else break;
            }
            if (at < text.Length && char.IsAsciiLetter(text[at]))
            {
                output.Append(text, copied, escape - copied);
                copied = at + 1;
                escape = text.IndexOf("\u001B[", copied, StringComparison.Ordinal);
            }
            else
            {
                escape = text.IndexOf("\u001B[", escape + 1, StringComparison.Ordinal);
            }
        }
        output.Append(text, copied, text.Length - copied);
        return output.ToString();
    }

    /// <summary>Deletes control characters nobody means to type: C0 controls except TAB, LF, FF, CR; DEL; the deprecated
    /// Arabic format controls U+206A–U+206F; the byte-order mark; interlinear annotation marks and U+FFFC.</summary>
    public static string RemoveControlChars(string text) => Map(text, c => IsUnwantedControl(c) ? "" : null);

    static bool IsUnwantedControl(char c) =>
        c is <= '\u0008' or '\u000B' or >= '\u000E' and <= '\u001F' or '\u007F'
            or >= '\u206A' and <= '\u206F' or '\uFEFF' or >= '\uFFF9' and <= '\uFFFC';

    /// <summary>Replaces each char for which <paramref name="replacement"/> gives a string; leaves the text as is when none does.</summary>
    static string Map(string text, Func<char, string?> replacement)
    {
        StringBuilder? output = null;
        for (int i = 0; i < text.Length; i++)
        {
            string? r = replacement(text[i]);
            if (r is null)
            {
                output?.Append(text[i]);
                continue;
            }
            output ??= new StringBuilder(text.Length).Append(text, 0, i);
            output.Append(r);
        }
        return output?.ToString() ?? text;
    }

    static bool HasAny(string text, char first, char last)
    {
        foreach (char c in text)
            if (c >= first && c <= last) return true;
        return false;
    }
}
