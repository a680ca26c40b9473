using System.Globalization;
using System.Text;
using Pipeline.Tokenize.Cleaning;

namespace Pipeline.Tokenize.Prompts;

/// <summary>
/// ComfyUI's prompt weights (<c>comfy/sd1_clip.py</c>: <c>token_weights</c> over <c>parse_parentheses</c>, with
/// <c>\(</c> and <c>\)</c> protected before and restored after), written from its behaviour and checked against
/// its outputs (tests/reference/prompt-parser/comfy_token_weights.json).
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Only round brackets weigh: <c>(a)</c> is the enclosing weight × 1.1; <c>(a:1.5)</c> is 1.5, replacing
/// (not multiplying) the enclosing weight; square brackets are text.</item>
/// <item>The weight is the text after the last <c>:</c> of the group when that is not its first character and
/// Python's <c>float()</c> accepts it (spaces, signs, exponents, <c>inf</c>, <c>nan</c>, underscores between digits);
/// otherwise the whole group is text at × 1.1.</item>
/// <item>Groups are split at depth 0 only; a <c>)</c> with nothing open ends a group at depth −1 and later
/// brackets keep counting from there, as the original does.</item>
/// <item><c>\(</c> and <c>\)</c> are literal brackets (the backslash is dropped); other backslashes stay.</item>
/// </list>
/// Runs are not merged: each group yields its own pieces, in order.
/// </remarks>
public static class ComfyWeights
{
    const char Protect = '\0';

    /// <summary>The (text, weight) pieces ComfyUI tokenizes, in order.</summary>
    public static IReadOnlyList<(string Text, double Weight)> Parse(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var protectedText = prompt.Replace("\\)", "\0\u0001").Replace("\\(", "\0\u0002");
        var pieces = new List<(string, double)>();
        Weigh(protectedText, 1.0, pieces);
        return pieces.Select(p => (Restore(p.Item1), p.Item2)).ToList();
    }

    static string Restore(string text) => text.Replace("\0\u0001", ")").Replace("\0\u0002", "(");

    static void Weigh(string text, double current, List<(string, double)> output)
    {
        foreach (var group in Groups(text))
        {
            if (group.Length >= 2 && group[0] == '(' && group[^1] == ')')
            {
                var inner = group[1..^1];
                double weight = current * 1.1;
                int colon = inner.LastIndexOf(':');
                if (colon > 0 && TryPythonFloat(inner[(colon + 1)..], out double explicitWeight))
                {
                    weight = explicitWeight;
                    inner = inner[..colon];
                }
                Weigh(inner, weight, output);
            }
            else
            {
                output.Add((group, current));
            }
        }
    }

    /// <summary>ComfyUI's <c>parse_parentheses</c>: top-level text runs and bracket groups (with their brackets).</summary>
    static List<string> Groups(string text)
    {
        var result = new List<string>();
        var current = new StringBuilder();
        int depth = 0;
        foreach (char c in text)
        {
            if (c == '(')
            {
                if (depth == 0)
                {
                    if (current.Length > 0) result.Add(current.ToString());
                    current.Clear().Append('(');
                }
                else current.Append(c);
                depth++;
            }
            else if (c == ')')
            {
                depth--;
                if (depth == 0)
                {
                    result.Add(current.Append(')').ToString());
                    current.Clear();
                }
                else current.Append(c);
            }
            else current.Append(c);
        }
        if (current.Length > 0) result.Add(current.ToString());
        return result;
    }

    /// <summary>
    /// Python's <c>float(str)</c>: non-ASCII decimal digits and whitespace are first mapped to ASCII, then ASCII
    /// whitespace around the number is stripped; sign, decimal/exponent forms, inf/nan, underscores between digits.
    /// </summary>
    internal static bool TryPythonFloat(string text, out double value)
    {
        value = 0;
        var mapped = new StringBuilder(text.Length);
        for (int j = 0; j < text.Length;)
        {
            int cp = PythonText.CodePointAt(text, j, out int width);
            j += width;
            if (cp < 128) mapped.Append((char)cp);
            else if (PythonText.Category(cp) == UnicodeCategory.DecimalDigitNumber)
                mapped.Append((char)('0' + (int)CharUnicodeInfo.GetNumericValue(char.ConvertFromUtf32(cp), 0)));
            else if (PythonText.IsSpace(cp)) mapped.Append(' ');
            else return false;
        }
        var s = mapped.ToString().Trim(' ', '\t', '\n', '\v', '\f', '\r');
        if (s.Length == 0) return false;
        int i = 0;
        bool negative = false;
        if (s[0] is '+' or '-') { negative = s[0] == '-'; i = 1; }
        var body = s[i..];
        var lower = body.ToLowerInvariant();
        if (lower is "inf" or "infinity") { value = negative ? double.NegativeInfinity : double.PositiveInfinity; return true; }
        if (lower == "nan") { value = double.NaN; return true; }
        var ascii = new StringBuilder(body.Length);
        for (int k = 0; k < body.Length; k++)
        {
            char c = body[k];
            if (c == '_')
            {
                // Python allows one underscore between two digits only.
                if (k == 0 || !char.IsAsciiDigit(body[k - 1]) || k + 1 >= body.Length || !char.IsAsciiDigit(body[k + 1])) return false;
                continue;
            }
            if (char.IsAsciiDigit(c) || c is '.' or 'e' or 'E' or '+' or '-') ascii.Append(c);
            else return false;
        }
        var number = ascii.ToString();
        if (!IsPythonDecimal(number)) return false;
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture, out value))
            return false;
        if (negative) value = -value;
        return true;
    }

    /// <summary>digits [. digits] | . digits, then optionally e [sign] digits.</summary>
    static bool IsPythonDecimal(string s)
    {
        int i = 0, intDigits = 0, fracDigits = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; intDigits++; }
        if (i < s.Length && s[i] == '.')
        {
            i++;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; fracDigits++; }
        }
        if (intDigits + fracDigits == 0) return false;
        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-') i++;
            int expDigits = 0;
            while (i < s.Length && char.IsAsciiDigit(s[i])) { i++; expDigits++; }
            if (expDigits == 0) return false;
        }
        return i == s.Length;
    }

}
