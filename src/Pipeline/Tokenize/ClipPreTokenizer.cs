using Microsoft.ML.Tokenizers;
using Pipeline.Tokenize.Cleaning;

namespace Pipeline.Tokenize;

/// <summary>
/// Splits cleaned text into the words CLIP runs BPE on, with CLIP's regex
/// <c>&lt;special&gt;|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+</c> (case-insensitive):
/// at each position the first alternative that matches wins, whitespace is dropped.
/// <para>
/// Written as a scanner rather than a <see cref="RegexPreTokenizer"/> because .NET regexes match UTF-16 code
/// units: <c>\p{L}</c> and <c>\p{N}</c> would not see letters and digits outside the BMP (𝐀, 𠀀, 𝟏), which
/// Python's <c>regex</c> module matches as code points. Case-insensitive matching follows Python's too, where
/// "ſ" (U+017F) matches "s". The library's own special-token splitting cannot be used either: CLIP only
/// recognises a literal where a scan starts ("!&lt;|endoftext|&gt;" is punctuation first).
/// </para>
/// <para>
/// One deliberate difference, for bounded time on hostile input: a word longer than <see cref="MaxWordLength"/>
/// UTF-16 chars is handed to BPE in pieces of at most that length, each ending a word. The library's BPE takes
/// time quadratic in a word's length (a 1 MB run of one letter took about a minute), while CLIP would merge the
/// whole run as one word; ids can therefore differ from CLIP's only inside such a run, and no real prompt has one.
/// </para>
/// </summary>
internal sealed class ClipPreTokenizer : PreTokenizer
{
    /// <summary>Longest word (in UTF-16 chars) given to BPE whole; longer runs are cut into pieces this long.</summary>
    public const int MaxWordLength = 1024;

    static readonly string[] Contractions = ["s", "t", "re", "ve", "m", "ll", "d"];

    readonly string[] _specialLiterals;

    /// <param name="specialLiterals">The variant's special-token literals, lowercase ASCII, tried first.</param>
    public ClipPreTokenizer(IEnumerable<string> specialLiterals) => _specialLiterals = specialLiterals.ToArray();

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Split(text.AsSpan());

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Split(text);

    /// <summary>The words of <paramref name="text"/> as (offset, length) in UTF-16 units.</summary>
    public List<(int Offset, int Length)> Split(ReadOnlySpan<char> text)
    {
        var words = new List<(int, int)>();
        int at = 0;
        while (at < text.Length)
        {
            int cp = CodePointAt(text, at, out int width);
            if (PythonText.IsWhiteSpace(cp) || IsInvisibleToCaseInsensitivePattern(cp))
            {
                at += width;
                continue;
            }
            int length = SpecialLiteralLength(text, at);
            if (length == 0) length = ContractionLength(text, at);
            if (length == 0)
            {
                if (PythonText.IsLetter(cp)) length = RunLength(text, at, PythonText.IsLetter);
                else if (PythonText.IsNumber(cp)) length = width;
                else length = RunLength(text, at, IsOther);
            }
            AddCutToMaxWordLength(words, text, at, length);
            at += length;
        }
        return words;
    }

    static void AddCutToMaxWordLength(List<(int, int)> words, ReadOnlySpan<char> text, int start, int length)
    {
        int end = start + length;
        while (end - start > MaxWordLength)
        {
            int cut = start + MaxWordLength;
            if (char.IsLowSurrogate(text[cut]) && char.IsHighSurrogate(text[cut - 1])) cut--;
            words.Add((start, cut - start));
            start = cut;
        }
        words.Add((start, end - start));
    }

    static bool IsOther(int cp) =>
        !PythonText.IsWhiteSpace(cp) && !PythonText.IsLetter(cp) && !PythonText.IsNumber(cp) && !IsInvisibleToCaseInsensitivePattern(cp);

    /// <summary>
    /// U+0345 COMBINING GREEK YPOGEGRAMMENI is a mark, but it case-folds to the letter ι, so under Python's
    /// case-insensitive matching <c>[^\s\p{L}\p{N}]</c> rejects it while <c>\p{L}</c> does not accept it: no
    /// alternative matches, and CLIP skips it like whitespace. It is the only such character.
    /// </summary>
    static bool IsInvisibleToCaseInsensitivePattern(int cp) => cp == 0x0345;

    int SpecialLiteralLength(ReadOnlySpan<char> text, int at)
    {
        foreach (string literal in _specialLiterals)
            if (MatchesIgnoringCase(text, at, literal)) return literal.Length;
        return 0;
    }

    static int ContractionLength(ReadOnlySpan<char> text, int at)
    {
        if (text[at] != '\'') return 0;
        foreach (string ending in Contractions)
            if (MatchesIgnoringCase(text, at + 1, ending)) return 1 + ending.Length;
        return 0;
    }

    /// <summary>Whether <paramref name="literal"/> (lowercase ASCII) is at <paramref name="at"/>, under Python's simple case folding.</summary>
    static bool MatchesIgnoringCase(ReadOnlySpan<char> text, int at, string literal)
    {
        if (at + literal.Length > text.Length) return false;
        for (int k = 0; k < literal.Length; k++)
            if (Fold(text[at + k]) != literal[k]) return false;
        return true;
    }

    static char Fold(char c) => c switch
    {
        >= 'A' and <= 'Z' => (char)(c + ('a' - 'A')),
        '\u017F' => 's',
        _ => c,
    };

    static int RunLength(ReadOnlySpan<char> text, int start, Func<int, bool> belongs)
    {
        int at = start;
        while (at < text.Length)
        {
            int cp = CodePointAt(text, at, out int width);
            if (!belongs(cp)) break;
            at += width;
        }
        return at - start;
    }

    static int CodePointAt(ReadOnlySpan<char> text, int index, out int width)
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
}
