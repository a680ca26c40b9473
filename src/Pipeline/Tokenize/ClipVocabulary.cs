using System.IO.Compression;
using System.Text;

namespace Pipeline.Tokenize;

/// <summary>
/// The CLIP BPE vocabulary shared by both SDXL text encoders (49,408 ids), and its fixed layout.
/// Built from openai CLIP's <c>bpe_simple_vocab_16e6.txt.gz</c>, which ships embedded in this assembly
/// (see <c>Tokenize/Data/README.md</c>).
/// </summary>
public static class ClipVocabulary
{
    /// <summary>Ids per prompt that a CLIP text encoder reads.</summary>
    public const int ContextLength = 77;

    /// <summary>Content ids that fit between start-of-text and end-of-text.</summary>
    public const int MaxContentTokens = ContextLength - 2;

    /// <summary>Id of &lt;|startoftext|&gt; (open_clip: &lt;start_of_text&gt;).</summary>
    public const int StartOfText = 49406;

    /// <summary>Id of &lt;|endoftext|&gt; (open_clip: &lt;end_of_text&gt;); also CLIP-L's padding.</summary>
    public const int EndOfText = 49407;

    /// <summary>Number of ids.</summary>
    public const int Size = 49408;

    /// <summary>Merges CLIP uses: lines 1…48,894 of the merges file (49,152 − 256 − 2); the remaining lines are unused.</summary>
    public const int MergeCount = 48894;

    /// <summary>The suffix that marks the last symbol of a word.</summary>
    public const string EndOfWordSuffix = "</w>";

    internal const string StartOfTextLiteral = "<|startoftext|>";
    internal const string EndOfTextLiteral = "<|endoftext|>";

    const string MergesResource = "Pipeline.Tokenize.Data.bpe_simple_vocab_16e6.txt.gz";

    static readonly Lazy<(IReadOnlyDictionary<string, int> Vocabulary, IReadOnlyList<string> Merges)> Tables = new(Load);

    /// <summary>Token string → id, in the byte-alphabet form (e.g. "a&lt;/w&gt;", "Ġ"-style stand-ins for bytes).</summary>
    internal static IReadOnlyDictionary<string, int> Vocabulary => Tables.Value.Vocabulary;

    /// <summary>The used merges in rank order, each "A B".</summary>
    internal static IReadOnlyList<string> Merges => Tables.Value.Merges;

    /// <summary>
    /// The stand-in character of each byte (CLIP's and GPT-2's byte alphabet): printable Latin-1 bytes
    /// (0x21–0x7E, 0xA1–0xAC, 0xAE–0xFF) stand for themselves; the other 68 get U+0100… in byte order.
    /// </summary>
    internal static char[] ByteAlphabet()
    {
        var alphabet = new char[256];
        int next = 0x100;
        for (int b = 0; b < 256; b++)
            alphabet[b] = b is >= 0x21 and <= 0x7E or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF ? (char)b : (char)next++;
        return alphabet;
    }

    static (IReadOnlyDictionary<string, int>, IReadOnlyList<string>) Load()
    {
        string[] merges = ReadMerges();
        var vocabulary = new Dictionary<string, int>(Size, StringComparer.Ordinal);
        var symbols = ByteAlphabet().Order().Select(c => c.ToString()).ToArray();
        foreach (string s in symbols) vocabulary.Add(s, vocabulary.Count);
        foreach (string s in symbols) vocabulary.Add(s + EndOfWordSuffix, vocabulary.Count);
        foreach (string merge in merges)
        {
            int space = merge.IndexOf(' ');
            vocabulary.Add(string.Concat(merge.AsSpan(0, space), merge.AsSpan(space + 1)), vocabulary.Count);
        }
        vocabulary.Add(StartOfTextLiteral, StartOfText);
        vocabulary.Add(EndOfTextLiteral, EndOfText);
        if (vocabulary.Count != Size)
            throw new InvalidDataException($"{MergesResource}: built {vocabulary.Count} ids, expected {Size}.");
        return (vocabulary, merges);
    }

    /// <summary>Lines 1…48,894 of the merges file (line 0 is a header; the rest are unused).</summary>
    static string[] ReadMerges()
    {
        using var stream = typeof(ClipVocabulary).Assembly.GetManifestResourceStream(MergesResource)
            ?? throw new InvalidOperationException($"Embedded resource {MergesResource} is missing from the Pipeline assembly.");
        using var gzip = new GZipStream(stream, CompressionMode.Decompress);
        using var reader = new StreamReader(gzip, new UTF8Encoding(false, throwOnInvalidBytes: true));
        _ = reader.ReadLine() ?? throw new InvalidDataException($"{MergesResource} is empty.");
        var merges = new string[MergeCount];
        for (int i = 0; i < MergeCount; i++)
        {
            string line = reader.ReadLine() ?? throw new InvalidDataException($"{MergesResource} has only {i} merges, expected {MergeCount}.");
            int space = line.IndexOf(' ');
            if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
                throw new InvalidDataException($"{MergesResource} line {i + 1} is not 'A B': '{line}'.");
            merges[i] = line;
        }
        return merges;
    }
}
