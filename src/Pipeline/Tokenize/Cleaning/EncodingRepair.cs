namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// ftfy's <c>fix_encoding</c>: undoes mojibake, text that was UTF-8 but was decoded with a single-byte code
/// page ("cafÃ©" → "café"), repeating until the text stops changing so that several layers come off.
/// </summary>
internal static class EncodingRepair
{
    /// <summary>Safety net for hostile input; real mojibake loses a layer per round and real text needs a handful.</summary>
    const int MaxRounds = 64;

    public static string FixEncoding(string text)
    {
        for (int round = 0; round < MaxRounds; round++)
        {
            string fixedText = FixOneLayer(text);
            if (fixedText == text) return text;
            text = fixedText;
        }
        return text;
    }

    /// <summary>One repair step, the first of these that applies (ftfy 6.x order).</summary>
    static string FixOneLayer(string text)
    {
        if (text.Length == 0 || IsAscii(text) || !MojibakeHeuristic.IsBad(text)) return text;

        // 1. The whole text re-encoded with the first code page that can encode it and reads as UTF-8.
        bool latin1Possible = false;
        foreach (var page in SingleByteCodePage.RepairCandidates)
        {
            if (!page.CanEncode(text)) continue;
            if (page == SingleByteCodePage.Latin1) latin1Possible = true;
            string bytes = page.Encode(text);
            if (page != SingleByteCodePage.MacRoman && ByteRepairs.MayHaveLostByteA0(bytes)) bytes = ByteRepairs.RestoreByteA0(bytes);
            if (page.IsSloppy) bytes = ByteRepairs.ReplaceLossySequences(bytes);
            if (Utf8Variants.TryDecode(bytes, out string decoded)) return decoded;
        }

        // 2. Mojibake embedded in otherwise fine text, fixed stretch by stretch.
        if (InconsistentUtf8.HasUtf8Lookalike(text))
        {
            string fixedText = InconsistentUtf8.Decode(text);
            if (fixedText != text) return fixedText;
        }

        // 3. Latin-1 that was meant as Windows-1252 (only C1 controls can differ).
        if (latin1Possible
            && SingleByteCodePage.Windows1252.TryDecode(SingleByteCodePage.Latin1.Encode(text), out string asWindows1252)
            && asWindows1252 != text)
        {
            return asWindows1252;
        }

        // 4. C1 controls one by one, when some are undefined in Windows-1252 and step 3 could not run.
        return CharacterFixes.FixC1Controls(text);
    }

    static bool IsAscii(string text)
    {
        foreach (char c in text)
            if (c > '\u007F') return false;
        return true;
    }
}
