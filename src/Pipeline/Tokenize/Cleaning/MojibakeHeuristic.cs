using static Pipeline.Tokenize.Cleaning.MojibakeClass;

namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// ftfy's "is this text bad?" test: true when some short sequence of characters occurs that is far more
/// likely to be UTF-8 mojibake than intended text (an accented capital followed by a currency sign, box
/// drawing next to a letter, "Ã" before a space, ...). Each sequence is a list of character tests matched at
/// consecutive code points; the text is bad if any sequence matches anywhere.
/// </summary>
internal static class MojibakeHeuristic
{
    delegate bool CharTest(int codePoint);

    sealed record Sequence(bool OnlyAtStart, CharTest[] Tests);

    public static bool IsBad(string text)
    {
        int[] codePoints = PythonText.ToCodePoints(text);
        for (int start = 0; start < codePoints.Length; start++)
        {
            // Every sequence has a non-ASCII character among its first three.
            if (IsAscii(codePoints, start) && IsAscii(codePoints, start + 1) && IsAscii(codePoints, start + 2)) continue;
            foreach (var sequence in Sequences)
                if (Matches(sequence, codePoints, start)) return true;
        }
        return false;
    }

    static bool IsAscii(int[] codePoints, int at) => at >= codePoints.Length || codePoints[at] < 0x80;

    static bool Matches(Sequence sequence, int[] codePoints, int start)
    {
        if (sequence.OnlyAtStart && start != 0) return false;
        if (start + sequence.Tests.Length > codePoints.Length) return false;
        for (int k = 0; k < sequence.Tests.Length; k++)
            if (!sequence.Tests[k](codePoints[start + k])) return false;
        return true;
    }

    static CharTest In(MojibakeClass classes) => cp => MojibakeClasses.Is(cp, classes);

    static CharTest OneOf(string chars) => cp => cp < 0x10000 && chars.Contains((char)cp);

    static CharTest Either(CharTest a, CharTest b) => cp => a(cp) || b(cp);

    static CharTest Is(char c) => cp => cp == c;

    static readonly CharTest AsciiLetter = cp => cp is >= 'a' and <= 'z' or >= 'A' and <= 'Z';
    static readonly CharTest AsciiLower = cp => cp is >= 'a' and <= 'z';
    static readonly CharTest NotAsciiLetter = cp => !AsciiLetter(cp);
    static readonly CharTest Space = cp => cp == ' ';
    static readonly CharTest LetterSpaceOrAscii = cp => AsciiLetter(cp) || cp == ' ';
    static readonly CharTest AnyButNewline = cp => cp != '\n';
    static readonly CharTest PythonSpace = PythonText.IsSpace;
    static readonly CharTest PythonWordChar = PythonText.IsWordChar;

    static Sequence Seq(params CharTest[] tests) => new(false, tests);

    const MojibakeClass AccentedOrSymbol = Bad | LowerAccented | UpperAccented | Box | StartPunctuation | EndPunctuation | Currency | Numeric | Law;
    const MojibakeClass Accented = LowerAccented | UpperAccented;

    static readonly CharTest CyrillicVGRS = OneOf("\u0412\u0413\u0420\u0421");
    static readonly CharTest GreekBGXO = OneOf("\u0392\u0393\u039E\u039F");
    static readonly CharTest ArabicLead = OneOf("\u00D8\u00D9");
    static readonly CharTest ArabicFollower = Either(In(Common | Currency | Bad | Numeric | StartPunctuation), OneOf("\u0178\u0160\u00AE\u00B0\u00B5\u00BB"));
    static readonly CharTest AOrACircumflex = OneOf("\u00C3\u00C2");

    static readonly Sequence[] Sequences =
    [
        Seq(In(C1)),
        Seq(In(AccentedOrSymbol), In(Bad)),
        Seq(AsciiLetter, In(LowerCommon | UpperCommon), In(Bad)),
        Seq(In(Bad), In(AccentedOrSymbol & ~Bad)),
        Seq(In(LowerAccented | LowerCommon | Box | EndPunctuation | Currency | Numeric), In(UpperAccented)),
        Seq(In(Box | EndPunctuation | Currency | Numeric), In(LowerAccented)),
        Seq(In(LowerAccented | Box | EndPunctuation), In(Currency)),
        Seq(PythonSpace, In(UpperAccented), In(Currency)),
        Seq(In(UpperAccented | Box), In(Numeric | Law)),
        Seq(In(Accented | Box | Currency | EndPunctuation), In(StartPunctuation), In(Numeric)),
        Seq(In(Accented | Currency | Numeric | Box | Law), In(EndPunctuation), In(StartPunctuation)),
        Seq(In(Currency | Numeric | Box), In(StartPunctuation)),
        Seq(AsciiLower, In(UpperAccented), In(StartPunctuation | Currency)),
        Seq(In(Box), In(Kaomoji)),
        Seq(In(Accented | Currency | Numeric | StartPunctuation | EndPunctuation | Law), In(Box)),
        Seq(In(Box), In(EndPunctuation)),
        Seq(In(Accented), In(StartPunctuation | EndPunctuation), PythonWordChar),
        // œ/Œ not followed by an unaccented Latin letter
        Seq(OneOf("\u0152\u0153"), NotAsciiLetter),
        // degree sign after an accented capital
        Seq(In(UpperAccented), Is('\u00B0')),
        // two-character Windows-1252 mojibake the classes above miss
        Seq(OneOf("\u00C2\u00C3\u00CE\u00D0"),
            Either(OneOf("\u20AC\u0153\u0160\u0161\u00A2\u00A3\u0178\u017E\u00A0\u00AD\u00AE\u00A9\u00B0\u00B7\u00BB\u2013\u2014\u00B4"),
                   In(StartPunctuation | EndPunctuation))),
        Seq(Is('\u00D7'), OneOf("\u00B2\u00B3")),
        // Windows-1252 mojibake of Arabic: four characters, because the followers are common ones
        Seq(ArabicLead, ArabicFollower, ArabicLead, ArabicFollower),
        // Windows-1252 mojibake of 3-byte South Asian letters
        Seq(Is('\u00E0'), OneOf("\u00B2\u00B5\u00B9\u00BC\u00BD\u00BE")),
        // MacRoman mojibake
        Seq(Is('\u221A'), OneOf("\u00B1\u2202\u2020\u2260\u00AE\u2122\u00B4\u2264\u2265\u00A5\u00B5\u00F8")),
        Seq(Is('\u2248'), OneOf("\u00B0\u00A2")),
        Seq(Is('\u201A'), Is('\u00C4'), OneOf("\u00EC\u00EE\u00EF\u00F2\u00F4\u00FA\u00F9\u00FB\u2020\u00B0\u00A2\u03C0")),
        Seq(Is('\u201A'), OneOf("\u00E2\u00F3"), OneOf("\u00E0\u00E4\u00B0\u00EA")),
        // Windows-1251 mojibake of U+2000-range punctuation, of Latin-1 and of Cyrillic
        Seq(Is('\u0432'), Is('\u0402')),
        Seq(CyrillicVGRS, Either(In(C1 | Bad | StartPunctuation | EndPunctuation | Currency), OneOf("\u00B0\u00B5")), CyrillicVGRS),
        Seq(Is('\u0413'), Is('\u045E'), Is('\u0412'), Is('\u0402'), Is('\u0412'), AnyButNewline, LetterSpaceOrAscii),
        // Windows-1252 encodings of "à", "á" and NBSP itself
        Seq(Is('\u00C3'), OneOf("\u00A0\u00A1")),
        Seq(AsciiLower, AOrACircumflex, Space),
        Seq(AsciiLower, PythonSpace, AOrACircumflex, Space),
        new Sequence(true, [AOrACircumflex, Space]),
        // "Â" standing before the very character it encodes
        Seq(Either(OneOf("abcdefghijklmnopqrstuvwxyz.,?!"), In(EndPunctuation)), Is('\u00C2'), Either(Space, In(StartPunctuation | EndPunctuation))),
        // Windows-1253 mojibake of U+2000-range punctuation, of Latin-1 and of Greek
        Seq(Is('\u03B2'), Is('\u20AC'), OneOf("\u2122\u00A0\u0386\u00AD\u00AE\u00B0")),
        Seq(GreekBGXO, Either(In(C1 | Bad | StartPunctuation | EndPunctuation | Currency), Is('\u00B0')), GreekBGXO),
        // Windows-1257 mojibake of U+2000-range punctuation
        Seq(Is('\u0101'), Is('\u20AC')),
    ];
}
