using System.Collections.Immutable;

namespace Pipeline.Tokenize;

/// <summary>
/// One prompt as a CLIP text encoder reads it.
/// <see cref="Ids"/> is always <see cref="ClipVocabulary.ContextLength"/> long:
/// start-of-text, the first <see cref="ClipVocabulary.MaxContentTokens"/> content ids, end-of-text, padding.
/// </summary>
public sealed record TokenizedPrompt
{
    /// <param name="ids">The 77 ids fed to the encoder.</param>
    /// <param name="untruncatedIds">Every content id of the prompt, without start/end of text.</param>
    /// <param name="droppedTokens">How many content ids did not fit and were cut off.</param>
    public TokenizedPrompt(ImmutableArray<int> ids, ImmutableArray<int> untruncatedIds, int droppedTokens)
    {
        if (ids.IsDefault || ids.Length != ClipVocabulary.ContextLength)
            throw new ArgumentException($"A tokenized prompt has exactly {ClipVocabulary.ContextLength} ids, got {(ids.IsDefault ? 0 : ids.Length)}.", nameof(ids));
        if (untruncatedIds.IsDefault) throw new ArgumentException("Untruncated ids are required (may be empty).", nameof(untruncatedIds));
        if (droppedTokens < 0) throw new ArgumentOutOfRangeException(nameof(droppedTokens), droppedTokens, "Dropped token count cannot be negative.");
        Ids = ids;
        UntruncatedIds = untruncatedIds;
        DroppedTokens = droppedTokens;
    }

    /// <summary>The 77 ids fed to the encoder.</summary>
    public ImmutableArray<int> Ids { get; }

    /// <summary>Every content id of the prompt, without start/end of text.</summary>
    public ImmutableArray<int> UntruncatedIds { get; }

    /// <summary>How many content ids did not fit and were cut off.</summary>
    public int DroppedTokens { get; }

    /// <summary>Whether the prompt was cut to fit (the CLI warns the user).</summary>
    public bool Truncated => DroppedTokens > 0;

    public bool Equals(TokenizedPrompt? other) =>
        other is not null && DroppedTokens == other.DroppedTokens
        && Ids.AsSpan().SequenceEqual(other.Ids.AsSpan())
        && UntruncatedIds.AsSpan().SequenceEqual(other.UntruncatedIds.AsSpan());

    public override int GetHashCode()
    {
        var hash = new HashCode();
        foreach (int id in Ids) hash.Add(id);
        hash.Add(DroppedTokens);
        return hash.ToHashCode();
    }
}
