namespace Pipeline.Tokenize;

/// <summary>
/// The Tokenize stage: prompts → <see cref="Tokens"/>, the ids of both SDXL text encoders.
/// (Named <c>TokenizeStage</c>, not <c>Tokenize</c>, because a class named like its namespace cannot be
/// reached by its simple name from code in other <c>Pipeline.*</c> namespaces.)
/// </summary>
public static class TokenizeStage
{
    /// <summary>Tokenizes every prompt for CLIP-L and for OpenCLIP bigG.</summary>
    /// <exception cref="ArgumentException">When the list or one of its prompts is null.</exception>
    public static Tokens Run(IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        return new Tokens(
            ClipTokenizer.Get(ClipTokenizerVariant.ClipL).TokenizeBatch(prompts),
            ClipTokenizer.Get(ClipTokenizerVariant.OpenClip).TokenizeBatch(prompts));
    }
}
