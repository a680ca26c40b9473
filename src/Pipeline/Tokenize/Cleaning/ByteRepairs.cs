using System.Text.RegularExpressions;

namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// Repairs applied to mojibake after it is re-encoded to bytes and before those bytes are read as UTF-8
/// (ftfy's <c>restore_byte_a0</c> and <c>replace_lossy_sequences</c>). Patterns run over byte text: one char per byte.
/// </summary>
internal static class ByteRepairs
{
    const RegexOptions Options = RegexOptions.CultureInvariant;

    /// <summary>UTF-8 sequences that would be valid if a space were byte A0 (which some program turned into a space).</summary>
    static readonly Regex SpaceForA0InUtf8 = new(
        @"[\xC2\xC3\xC5\xCE\xD0\xD9][ ]"
        + @"|[\xE2\xE3][ ][\x80-\x84\x86-\x9F\xA1-\xBF]"
        + @"|[\xE0-\xE3][\x80-\x84\x86-\x9F\xA1-\xBF][ ]"
        + @"|[\xF0][ ][\x80-\xBF][\x80-\xBF]"
        + @"|[\xF0][\x80-\xBF][ ][\x80-\xBF]"
        + @"|[\xF0][\x80-\xBF][\x80-\xBF][ ]",
        Options);

    /// <summary>"à" (C3 A0) whose A0 became a space, when what follows does not make it a Portuguese word.</summary>
    static readonly Regex AGraveBeforeSpace = new(@"\xC3 (?! |quele|quela|quilo|s )", Options);

    /// <summary>UTF-8 (or CESU-8) sequences with a continuation byte lost: 1A stands for a byte that was read as U+FFFD, and "?" may too, once.</summary>
    static readonly Regex LossyUtf8 = new(
        @"[\xC2-\xDF][\x1A]"
        + @"|[\xC2-\xC3][?]"
        + @"|\xED[\xA0-\xAF][\x1A?]\xED[\xB0-\xBF][\x1A?\x80-\xBF]"
        + @"|\xED[\xA0-\xAF][\x1A?\x80-\xBF]\xED[\xB0-\xBF][\x1A?]"
        + @"|[\xE0-\xEF][\x1A?][\x1A\x80-\xBF]"
        + @"|[\xE0-\xEF][\x1A\x80-\xBF][\x1A?]"
        + @"|[\xF0-\xF4][\x1A?][\x1A\x80-\xBF][\x1A\x80-\xBF]"
        + @"|[\xF0-\xF4][\x1A\x80-\xBF][\x1A?][\x1A\x80-\xBF]"
        + @"|[\xF0-\xF4][\x1A\x80-\xBF][\x1A\x80-\xBF][\x1A?]"
        + @"|\x1A",
        Options);

    /// <summary>UTF-8 of U+FFFD, as byte text.</summary>
    const string ReplacementCharacterUtf8 = "\u00EF\u00BF\u00BD";

    public static bool MayHaveLostByteA0(string byteText) => SpaceForA0InUtf8.IsMatch(byteText);

    /// <summary>Puts back byte A0 where a space stands in a sequence that is otherwise UTF-8.</summary>
    public static string RestoreByteA0(string byteText)
    {
        string withAGrave = AGraveBeforeSpace.Replace(byteText, "\u00C3\u00A0 ");
        return SpaceForA0InUtf8.Replace(withAGrave, m => m.Value.Replace(' ', '\u00A0'));
    }

    /// <summary>Replaces UTF-8 sequences that lost a byte with the UTF-8 of U+FFFD.</summary>
    public static string ReplaceLossySequences(string byteText) => LossyUtf8.Replace(byteText, ReplacementCharacterUtf8);
}
