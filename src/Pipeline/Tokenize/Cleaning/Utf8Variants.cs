using System.Buffers;
using System.Text;
using System.Text.Unicode;

namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// Decodes byte text as UTF-8 the way ftfy's <c>utf-8-variants</c> codec does: strict UTF-8, plus the two
/// encodings of it that programs really write, Java's modified null (C0 80 → U+0000) and CESU-8, where a
/// supplementary character is written as two 3-byte surrogate halves (ED A0-AF xx ED B0-BF xx).
/// Any other invalid sequence, an unpaired surrogate half included, fails the whole decode.
/// </summary>
internal static class Utf8Variants
{
    public static bool TryDecode(string byteText, out string text)
    {
        var bytes = new byte[byteText.Length];
        for (int i = 0; i < bytes.Length; i++) bytes[i] = (byte)byteText[i];

        var output = new StringBuilder(bytes.Length);
        int runStart = 0;
        int at = 0;
        while (at < bytes.Length)
        {
            byte b = bytes[at];
            if (b == 0xC0 && at + 1 < bytes.Length && bytes[at + 1] == 0x80)
            {
                if (!TryAppendStrict(bytes.AsSpan(runStart, at - runStart), output)) return Fail(out text);
                output.Append('\0');
                at += 2;
                runStart = at;
            }
            else if (b == 0xED && at + 1 < bytes.Length && bytes[at + 1] >= 0xA0)
            {
                // A surrogate half. Only a complete CESU-8 pair decodes; a lone half is an error.
                if (!IsCesu8Pair(bytes.AsSpan(at))) return Fail(out text);
                if (!TryAppendStrict(bytes.AsSpan(runStart, at - runStart), output)) return Fail(out text);
                int codePoint = 0x10000
                    + ((bytes[at + 1] & 0x0F) << 16) + ((bytes[at + 2] & 0x3F) << 10)
                    + ((bytes[at + 4] & 0x0F) << 6) + (bytes[at + 5] & 0x3F);
                output.Append(char.ConvertFromUtf32(codePoint));
                at += 6;
                runStart = at;
            }
            else
            {
                at++;
            }
        }
        if (!TryAppendStrict(bytes.AsSpan(runStart), output)) return Fail(out text);
        text = output.ToString();
        return true;
    }

    static bool IsCesu8Pair(ReadOnlySpan<byte> s) =>
        s.Length >= 6
        && s[0] == 0xED && s[1] is >= 0xA0 and <= 0xAF && s[2] is >= 0x80 and <= 0xBF
        && s[3] == 0xED && s[4] is >= 0xB0 and <= 0xBF && s[5] is >= 0x80 and <= 0xBF;

    static bool TryAppendStrict(ReadOnlySpan<byte> utf8, StringBuilder output)
    {
        if (utf8.IsEmpty) return true;
        var chars = new char[utf8.Length];
        var status = Utf8.ToUtf16(utf8, chars, out int read, out int written, replaceInvalidSequences: false, isFinalBlock: true);
        if (status != OperationStatus.Done || read != utf8.Length) return false;
        output.Append(chars, 0, written);
        return true;
    }

    static bool Fail(out string text)
    {
        text = "";
        return false;
    }
}
