namespace Pipeline.Tokenize;

/// <summary>The two CLIP tokenizers of SDXL. Same vocabulary; they differ in clean-up, special literals and padding.</summary>
public enum ClipTokenizerVariant
{
    /// <summary>
    /// Text encoder 1 (CLIP ViT-L/14), tokenized as HF <c>CLIPTokenizer</c> does: "&lt;|startoftext|&gt;" and
    /// "&lt;|endoftext|&gt;" in the raw prompt are special wherever they occur (case-sensitive), no HTML unescape,
    /// padded with 49407.
    /// </summary>
    ClipL,

    /// <summary>
    /// Text encoder 2 (OpenCLIP ViT-bigG/14), tokenized as <c>open_clip.tokenize</c> does: special literals
    /// "&lt;start_of_text&gt;" and "&lt;end_of_text&gt;", HTML unescaped twice, padded with 0.
    /// </summary>
    OpenClip,
}
