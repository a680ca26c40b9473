namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// A single-byte code page as ftfy's mojibake repair uses it. Bytes are carried as "byte text": a string
/// whose chars are all at most U+00FF, one char per byte, so byte patterns can be matched with .NET regexes.
/// A <em>sloppy</em> page (ftfy's <c>sloppy-windows-125x</c>) decodes the bytes its strict page leaves
/// undefined as Latin-1 would, and uses byte 0x1A for U+FFFD, so the text it read can always be re-encoded.
/// </summary>
internal sealed class SingleByteCodePage
{
    const char Undefined = '\uFFFF';
    const byte SubstituteByte = 0x1A;

    readonly char[] _decode = new char[256];
    readonly Dictionary<char, byte> _encode = new();

    SingleByteCodePage(string name, string upperHalf, bool sloppy)
    {
        if (upperHalf.Length != 128) throw new ArgumentException($"Code page {name} needs 128 entries, got {upperHalf.Length}.");
        Name = name;
        IsSloppy = sloppy;
        for (int b = 0; b < 256; b++)
        {
            char c = b < 128 ? (char)b : upperHalf[b - 128];
            if (c == Undefined && sloppy) c = (char)b;
            if (sloppy && b == SubstituteByte) c = '\uFFFD';
            _decode[b] = c;
            if (c != Undefined) _encode.TryAdd(c, (byte)b);
        }
    }

    /// <summary>The name ftfy gives this code page.</summary>
    public string Name { get; }

    public bool IsSloppy { get; }

    /// <summary>Whether every char of <paramref name="text"/> is one this page can encode (ftfy's <c>possible_encoding</c>).</summary>
    public bool CanEncode(string text)
    {
        foreach (char c in text)
            if (!_encode.ContainsKey(c)) return false;
        return true;
    }

    /// <summary>Encodes text that <see cref="CanEncode"/> accepted into byte text.</summary>
    public string Encode(string text) => string.Create(text.Length, text, (span, source) =>
    {
        for (int i = 0; i < source.Length; i++) span[i] = (char)_encode[source[i]];
    });

    /// <summary>Decodes byte text; false when a byte is undefined in this (strict) page.</summary>
    public bool TryDecode(string byteText, out string text)
    {
        var chars = new char[byteText.Length];
        for (int i = 0; i < byteText.Length; i++)
        {
            char c = _decode[byteText[i]];
            if (c == Undefined) { text = ""; return false; }
            chars[i] = c;
        }
        text = new string(chars);
        return true;
    }

    /// <summary>The char one byte decodes to, or null when the byte is undefined.</summary>
    public char? DecodeByte(byte b) => _decode[b] == Undefined ? null : _decode[b];

    public static readonly SingleByteCodePage Latin1 = new("latin-1", CodePageTables.Latin1, sloppy: false);
    public static readonly SingleByteCodePage Windows1252 = new("windows-1252", CodePageTables.Windows1252, sloppy: false);
    public static readonly SingleByteCodePage Windows1251 = new("windows-1251", CodePageTables.Windows1251, sloppy: false);
    public static readonly SingleByteCodePage Windows1250 = new("windows-1250", CodePageTables.Windows1250, sloppy: false);
    public static readonly SingleByteCodePage Windows1253 = new("windows-1253", CodePageTables.Windows1253, sloppy: false);
    public static readonly SingleByteCodePage Windows1254 = new("windows-1254", CodePageTables.Windows1254, sloppy: false);
    public static readonly SingleByteCodePage Windows1257 = new("windows-1257", CodePageTables.Windows1257, sloppy: false);
    public static readonly SingleByteCodePage SloppyWindows1252 = new("sloppy-windows-1252", CodePageTables.Windows1252, sloppy: true);
    public static readonly SingleByteCodePage SloppyWindows1251 = new("sloppy-windows-1251", CodePageTables.Windows1251, sloppy: true);
    public static readonly SingleByteCodePage SloppyWindows1250 = new("sloppy-windows-1250", CodePageTables.Windows1250, sloppy: true);
    public static readonly SingleByteCodePage SloppyWindows1253 = new("sloppy-windows-1253", CodePageTables.Windows1253, sloppy: true);
    public static readonly SingleByteCodePage SloppyWindows1254 = new("sloppy-windows-1254", CodePageTables.Windows1254, sloppy: true);
    public static readonly SingleByteCodePage SloppyWindows1257 = new("sloppy-windows-1257", CodePageTables.Windows1257, sloppy: true);
    public static readonly SingleByteCodePage Iso8859_2 = new("iso-8859-2", CodePageTables.Iso8859_2, sloppy: false);
    public static readonly SingleByteCodePage MacRoman = new("macroman", CodePageTables.MacRoman, sloppy: false);
    public static readonly SingleByteCodePage Cp437 = new("cp437", CodePageTables.Cp437, sloppy: false);

    /// <summary>The pages ftfy tries, in its order, when it re-reads text as UTF-8 that was decoded with the wrong page.</summary>
    public static readonly IReadOnlyList<SingleByteCodePage> RepairCandidates =
    [
        Latin1, SloppyWindows1252, SloppyWindows1251, SloppyWindows1250, SloppyWindows1253,
        SloppyWindows1254, SloppyWindows1257, Iso8859_2, MacRoman, Cp437,
    ];

    /// <summary>The strict pages whose letters are clues to embedded UTF-8 mojibake.</summary>
    public static readonly IReadOnlyList<SingleByteCodePage> ClueSources =
        [Latin1, Windows1252, Windows1251, Windows1250, Windows1253, Windows1254, Windows1257];
}
