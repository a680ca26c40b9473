namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// The roles that the few hundred characters seen in UTF-8 mojibake play, as ftfy's badness heuristic
/// (ftfy 6.x) groups them. A character can have several roles.
/// </summary>
[Flags]
internal enum MojibakeClass : ushort
{
    None = 0,
    /// <summary>Common in ordinary text too: NBSP, soft hyphen, dashes, ellipsis, ’.</summary>
    Common = 1 << 0,
    /// <summary>C1 controls U+0080–U+009F.</summary>
    C1 = 1 << 1,
    /// <summary>Nearly only ever seen in mojibake: ¦ ¤ ¨ ¬ ¯ ¸ ƒ ˆ ˇ ˘ ˛ ˜ † ‡ ‰ ⌐ ◊ � ª º.</summary>
    Bad = 1 << 2,
    Law = 1 << 3,
    Currency = 1 << 4,
    StartPunctuation = 1 << 5,
    EndPunctuation = 1 << 6,
    Numeric = 1 << 7,
    /// <summary>Letters used in emoticon faces, which may legitimately sit next to box drawing.</summary>
    Kaomoji = 1 << 8,
    UpperAccented = 1 << 9,
    LowerAccented = 1 << 10,
    UpperCommon = 1 << 11,
    LowerCommon = 1 << 12,
    Box = 1 << 13,
}

/// <summary>Which <see cref="MojibakeClass"/> roles each BMP character has (none outside the BMP).</summary>
internal static class MojibakeClasses
{
    public static MojibakeClass Of(int codePoint) =>
        codePoint is >= 0 and < 0x10000 ? (MojibakeClass)Table[codePoint] : MojibakeClass.None;

    public static bool Is(int codePoint, MojibakeClass any) => (Of(codePoint) & any) != 0;

    // Code points as hex, "A-B" for an inclusive range.
    static readonly (MojibakeClass Class, string Members)[] Members =
    [
        (MojibakeClass.Common, "00A0 00AD 00B4 00B7 2013-2015 2019 2026"),
        (MojibakeClass.C1, "0080-009F"),
        (MojibakeClass.Bad, "00A4 00A6 00A8 00AA 00AC 00AF 00B8 00BA 0192 02C6-02C7 02D8 02DB-02DC 2020-2021 2030 2310 25CA FFFD"),
        (MojibakeClass.Law, "00A7 00B6"),
        (MojibakeClass.Currency, "00A2-00A3 00A5 20A7 20AC"),
        (MojibakeClass.StartPunctuation, "00A1 00A9 00AB 00BF 0384-0385 2018 201A 201C 201E 2022 2039 F8FF"),
        (MojibakeClass.EndPunctuation, "00AE 00BB 02DD 201D 203A 2122"),
        (MojibakeClass.Numeric, "00B1-00B3 00B5 00B9 00BC-00BE 00D7 00F7 2044 2116 2202 2206 220F 2211 221A 221E 2229 222B 2248 2260-2261 2264-2265"),
        (MojibakeClass.Kaomoji, "00B0 00D2-00D6 00D9-00DC 00F2-00F6 00F8-00FC 014C 0150 016A 0172"),
        (MojibakeClass.UpperAccented, "00C0-00D1 00D8 00DC-00DD 0100 0102 0104 0106 010C 010E 0110 0112 0116 0118 011A 011E 0122 012A 0130 0136 0139 013B 013D 0141 0143 0145 0147 0152 0158 015A 015E 0160 0162 0164 016E 0170 0178-0179 017B 017D 0490"),
        (MojibakeClass.LowerAccented, "00DF-00F1 00FC 0101 0103 0105 0107 010D 010F 0111 0113 0117 0119 011B 011F 0123 012B 012F 0137 013A 013C 013E 0142 0153 0155 015B 015F 0161 0165 017A 017C 017E 0491 FB01-FB02"),
        (MojibakeClass.UpperCommon, "00DE 0386 0388-038A 038C 038E-038F 0391-03AB 0401-042F"),
        (MojibakeClass.LowerCommon, "03AC-03C9 0430-045F"),
        (MojibakeClass.Box, "2502 250C 2510 2518 251C 2524 252C 253C 2550-256C 2580 2584 2588 258C 2590-2593"),
    ];

    // Declared after Members: static fields initialize in textual order.
    static readonly ushort[] Table = Build();

    static ushort[] Build()
    {
        var table = new ushort[0x10000];
        foreach (var (cls, members) in Members)
        {
            foreach (string item in members.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                string[] ends = item.Split('-');
                int first = Convert.ToInt32(ends[0], 16);
                int last = Convert.ToInt32(ends[^1], 16);
                for (int cp = first; cp <= last; cp++) table[cp] |= (ushort)cls;
            }
        }
        return table;
    }
}
