using System.Globalization;
using System.Text;
using Pipeline.Tokenize.Cleaning;

namespace Pipeline.Tokenize.Prompts;

/// <summary>
/// The A1111 attention syntax, with the semantics of stable-diffusion-webui's
/// <c>modules/prompt_parser.py::parse_prompt_attention</c> (checked against 780 outputs of that function at
/// commit 28bd8e14, tests/reference/prompt-parser): written from its behaviour, not its code.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>(a)</c> multiplies the weight of everything produced inside by 1.1, <c>[a]</c> by 1/1.1 (the double
/// nearest 1/1.1, multiplied in; not a division), <c>(a:1.5)</c> by the explicit number. Multipliers are applied
/// as each bracket closes, innermost first, so nested weights are products in that order.</item>
/// <item><c>\(</c> <c>\)</c> <c>\[</c> <c>\]</c> <c>\\</c> are the literal character; a backslash before anything
/// else is dropped (it leaves an empty piece of weight 1).</item>
/// <item>A <c>)</c> or <c>]</c> with nothing open is text; brackets still open at the end close there, all round
/// ones (outermost first), then all square ones.</item>
/// <item><c>:</c> starts a weight only as <c>:</c> spaces, optional sign, digits and dots, spaces, <c>)</c>, and
/// only inside an open <c>(</c>; otherwise it is text. Digits are any Unicode decimal digits, spaces are Python's
/// <c>str.isspace</c>. Digits and dots that are not a number (<c>1.2.3</c>, <c>.</c>) are an error.</item>
/// <item><c>BREAK</c> as a whole word in text (not inside an escape) becomes the piece <c>("BREAK", -1)</c>, with the
/// spaces around it removed; brackets around it multiply that -1 too.</item>
/// <item>Adjacent pieces of equal weight are merged; a prompt that produces nothing is <c>[("", 1)]</c>.</item>
/// </list>
/// </remarks>
public static class PromptAttention
{
    public const double RoundMultiplier = 1.1;
    public const double SquareMultiplier = 1 / 1.1;
    public const string Break = "BREAK";
    public const double BreakWeight = -1;

    public static AttentionParse Parse(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var texts = new List<string>();
        var weights = new List<double>();
        var openRound = new List<int>();
        var openSquare = new List<int>();

        void Multiply(int from, double multiplier)
        {
            for (int p = from; p < weights.Count; p++) weights[p] *= multiplier;
        }
        void AddText(string text)
        {
            var parts = SplitOnBreak(text);
            for (int k = 0; k < parts.Count; k++)
            {
                if (k > 0) { texts.Add(Break); weights.Add(BreakWeight); }
                texts.Add(parts[k]);
                weights.Add(1.0);
            }
        }

        int i = 0;
        while (i < prompt.Length)
        {
            char c = prompt[i];
            switch (c)
            {
                case '\\':
                    bool escapes = i + 1 < prompt.Length && prompt[i + 1] is '(' or ')' or '[' or ']' or '\\';
                    texts.Add(escapes ? prompt[(i + 1)..(i + 2)] : "");
                    weights.Add(1.0);
                    i += escapes ? 2 : 1;
                    break;
                case '(':
                    openRound.Add(texts.Count);
                    i++;
                    break;
                case '[':
                    openSquare.Add(texts.Count);
                    i++;
                    break;
                case ':':
                    if (MatchWeight(prompt, i, out int end, out string number))
                    {
                        if (openRound.Count > 0)
                        {
                            if (!TryParseNumber(number, out double weight))
                                return AttentionParse.Failed(
                                    $"weight '{number}' at position {i} is not a number (A1111's parser raises here: could not convert string to float)");
                            Multiply(Pop(openRound), weight);
                        }
                        else
                        {
                            AddText(prompt[i..end]);
                        }
                        i = end;
                    }
                    else
                    {
                        AddText(":");
                        i++;
                    }
                    break;
                case ')' when openRound.Count > 0:
                    Multiply(Pop(openRound), RoundMultiplier);
                    i++;
                    break;
                case ']' when openSquare.Count > 0:
                    Multiply(Pop(openSquare), SquareMultiplier);
                    i++;
                    break;
                case ')' or ']':
                    AddText(c.ToString());
                    i++;
                    break;
                default:
                    int stop = prompt.IndexOfAny(Special, i);
                    if (stop < 0) stop = prompt.Length;
                    AddText(prompt[i..stop]);
                    i = stop;
                    break;
            }
        }

        foreach (int from in openRound) Multiply(from, RoundMultiplier);
        foreach (int from in openSquare) Multiply(from, SquareMultiplier);
        if (texts.Count == 0) return AttentionParse.Of(new[] { ("", 1.0) });
        return AttentionParse.Of(MergeEqualRuns(texts, weights));
    }

    static readonly char[] Special = { '\\', '(', ')', '[', ']', ':' };

    static int Pop(List<int> stack)
    {
        int top = stack[^1];
        stack.RemoveAt(stack.Count - 1);
        return top;
    }

    /// <summary>
    /// At a <c>:</c>: spaces, an optional sign, one or more digits or dots, spaces, <c>)</c>. <paramref name="end"/> is
    /// just after the <c>)</c>; <paramref name="number"/> is the sign, digits and dots.
    /// </summary>
    static bool MatchWeight(string prompt, int colon, out int end, out string number)
    {
        end = colon;
        number = "";
        int j = SkipSpaces(prompt, colon + 1);
        int start = j;
        if (j < prompt.Length && prompt[j] is '+' or '-') j++;
        int digitsFrom = j;
        while (j < prompt.Length)
        {
            int codePoint = PythonText.CodePointAt(prompt, j, out int width);
            if (codePoint != '.' && PythonText.Category(codePoint) != UnicodeCategory.DecimalDigitNumber) break;
            j += width;
        }
        if (j == digitsFrom) return false;
        int numberEnd = j;
        j = SkipSpaces(prompt, j);
        if (j >= prompt.Length || prompt[j] != ')') return false;
        number = prompt[start..numberEnd];
        end = j + 1;
        return true;
    }

    static int SkipSpaces(string text, int at)
    {
        while (at < text.Length && PythonText.IsSpace(text[at])) at++;
        return at;
    }

    /// <summary>
    /// Python's <c>float()</c> on a sign followed by digits and dots: valid when there is at most one dot and at least
    /// one digit; any Unicode decimal digit counts as its value. Overflow gives ±infinity, as in Python.
    /// </summary>
    static bool TryParseNumber(string number, out double value)
    {
        var ascii = new StringBuilder(number.Length);
        int dots = 0, digits = 0;
        for (int j = 0; j < number.Length;)
        {
            int codePoint = PythonText.CodePointAt(number, j, out int width);
            j += width;
            if (codePoint is '+' or '-' or '.') { ascii.Append((char)codePoint); dots += codePoint == '.' ? 1 : 0; continue; }
            ascii.Append((char)('0' + (int)CharUnicodeInfo.GetNumericValue(char.ConvertFromUtf32(codePoint), 0)));
            digits++;
        }
        value = 0;
        return dots <= 1 && digits > 0
            && double.TryParse(ascii.ToString(), NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out value);
    }

    /// <summary>
    /// Splits text at each whole-word <c>BREAK</c>, removing the spaces on both sides of it (Python
    /// <c>re.split(r"\s*\bBREAK\b\s*", text)</c> semantics: word characters and spaces as Python's <c>re</c> sees them).
    /// </summary>
    static List<string> SplitOnBreak(string text)
    {
        var parts = new List<string>();
        int partStart = 0, p = 0;
        while (p < text.Length)
        {
            int word = SkipSpaces(text, p);
            if (IsBreakAt(text, word))
            {
                parts.Add(text[partStart..p]);
                partStart = p = SkipSpaces(text, word + Break.Length);
            }
            else
            {
                p++;
            }
        }
        parts.Add(text[partStart..]);
        return parts;
    }

    static bool IsBreakAt(string text, int at) =>
        string.CompareOrdinal(text, at, Break, 0, Break.Length) == 0 && at + Break.Length <= text.Length
        && (at == 0 || !IsWordCharBefore(text, at))
        && (at + Break.Length == text.Length || !PythonText.IsWordChar(PythonText.CodePointAt(text, at + Break.Length, out _)));

    static bool IsWordCharBefore(string text, int at)
    {
        int start = at - 1;
        if (char.IsLowSurrogate(text[start]) && start > 0 && char.IsHighSurrogate(text[start - 1])) start--;
        return PythonText.IsWordChar(PythonText.CodePointAt(text, start, out _));
    }

    static List<(string Text, double Weight)> MergeEqualRuns(List<string> texts, List<double> weights)
    {
        var merged = new List<(string Text, double Weight)>();
        var run = new StringBuilder(texts[0]);
        double runWeight = weights[0];
        for (int k = 1; k < texts.Count; k++)
        {
            if (weights[k] == runWeight) { run.Append(texts[k]); continue; }
            merged.Add((run.ToString(), runWeight));
            run.Clear().Append(texts[k]);
            runWeight = weights[k];
        }
        merged.Add((run.ToString(), runWeight));
        return merged;
    }
}
