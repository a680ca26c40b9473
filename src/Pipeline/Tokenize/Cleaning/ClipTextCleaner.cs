namespace Pipeline.Tokenize.Cleaning;

/// <summary>
/// The text clean-up each CLIP tokenizer does before it splits text into words:
/// <list type="bullet">
/// <item>open_clip (and openai CLIP): ftfy, <c>html.unescape</c> twice, whitespace collapsed, lowercased;</item>
/// <item>HF <c>CLIPTokenizer</c>: ftfy, whitespace collapsed, lowercased; no HTML unescape. (It runs on each
/// piece of the prompt between special-token literals, see <see cref="ClipTokenizer"/>.)</item>
/// </list>
/// </summary>
internal static class ClipTextCleaner
{
    public static string Clean(string text, ClipTokenizerVariant variant)
    {
        string fixedText = TextFixer.Fix(text);
        if (variant == ClipTokenizerVariant.OpenClip) fixedText = HtmlUnescape.Python(HtmlUnescape.Python(fixedText));
        return PythonText.Lower(PythonText.CollapseWhitespace(fixedText));
    }
}
