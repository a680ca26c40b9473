namespace Pipeline.Tokenize.Prompts;

/// <summary>
/// Which tool's prompt language a prompt is read in: the syntax, the 75-token chunking, the token weighting and how
/// prompts of different lengths are evened out.
/// </summary>
public enum PromptStyle
{
    /// <summary>
    /// AUTOMATIC1111: <c>(a)</c>, <c>[a]</c>, <c>(a:1.5)</c>, <c>BREAK</c>, <c>&lt;lora:…&gt;</c> tags, embeddings by file
    /// name; chunks split at the last comma within 20 tokens; weights multiply, then the mean is restored; shorter
    /// prompts are padded with empty chunks.
    /// </summary>
    A1111,

    /// <summary>
    /// ComfyUI: <c>(a)</c>, <c>(a:1.5)</c> (explicit weights replace), <c>embedding:name</c>; short word groups move to
    /// the next chunk whole; weights interpolate from the empty prompt; shorter prompts are repeated to a common length.
    /// </summary>
    Comfy,

    /// <summary>sgm's reference behaviour: the text as it is (no syntax), one 77-token window, longer prompts truncated.</summary>
    Sgm,
}

/// <summary>Names of <see cref="PromptStyle"/> at the edges (CLI, recipes, PNG parameters).</summary>
public static class PromptStyles
{
    /// <summary>The style a plan uses unless told otherwise.</summary>
    public const PromptStyle Default = PromptStyle.A1111;

    public static IReadOnlyList<string> Names { get; } = new[] { "a1111", "comfy", "sgm" };

    public static string Name(this PromptStyle style) => style switch
    {
        PromptStyle.A1111 => "a1111",
        PromptStyle.Comfy => "comfy",
        PromptStyle.Sgm => "sgm",
        _ => throw new ArgumentOutOfRangeException(nameof(style), style, null),
    };

    /// <summary>The style named <paramref name="name"/> (case-insensitive); throws listing the valid names.</summary>
    public static PromptStyle Parse(string name) => name?.Trim().ToLowerInvariant() switch
    {
        "a1111" => PromptStyle.A1111,
        "comfy" or "comfyui" => PromptStyle.Comfy,
        "sgm" => PromptStyle.Sgm,
        _ => throw new ArgumentException($"unknown prompt style '{name}'; valid: {string.Join(", ", Names)}"),
    };

    /// <summary>How the text encoders weigh tokens in this style.</summary>
    public static Conditioning.TokenEmphasis Emphasis(this PromptStyle style) => style switch
    {
        PromptStyle.A1111 => Conditioning.TokenEmphasis.A1111,
        PromptStyle.Comfy => Conditioning.TokenEmphasis.Comfy,
        _ => Conditioning.TokenEmphasis.None,
    };
}
