namespace Pipeline.Tokenize.Prompts;

/// <summary>
/// What <see cref="PromptAttention.Parse"/> found: the weighted pieces, or, where A1111's parser raises
/// (a weight such as <c>1.2.3</c>), an error that says why and no pieces.
/// </summary>
public sealed record AttentionParse
{
    AttentionParse(IReadOnlyList<(string Text, double Weight)> pieces, string? error) => (Pieces, Error) = (pieces, error);

    /// <summary>Text and weight in prompt order; <c>("BREAK", -1)</c> marks a forced chunk break. Empty when <see cref="Error"/> is set.</summary>
    public IReadOnlyList<(string Text, double Weight)> Pieces { get; }

    /// <summary>Why the prompt has no parse (A1111 raises on it); null when it parsed.</summary>
    public string? Error { get; }

    public bool Succeeded => Error is null;

    internal static AttentionParse Of(IReadOnlyList<(string Text, double Weight)> pieces) => new(pieces, null);

    internal static AttentionParse Failed(string error) => new(Array.Empty<(string, double)>(), error);
}
