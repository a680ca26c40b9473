using System.Collections.Immutable;

namespace Pipeline.Tokenize;

/// <summary>
/// The output of the Tokenize stage: a batch of prompts tokenized for both SDXL text encoders, in prompt
/// order (<c>ClipL[i]</c> and <c>OpenClip[i]</c> are prompt i).
/// </summary>
public sealed record Tokens
{
    public Tokens(ImmutableArray<TokenizedPrompt> clipL, ImmutableArray<TokenizedPrompt> openClip)
    {
        if (clipL.IsDefault) throw new ArgumentException("CLIP-L prompts are required (may be empty).", nameof(clipL));
        if (openClip.IsDefault) throw new ArgumentException("OpenCLIP prompts are required (may be empty).", nameof(openClip));
        if (clipL.Length != openClip.Length)
            throw new ArgumentException($"Both encoders need one entry per prompt: CLIP-L has {clipL.Length}, OpenCLIP {openClip.Length}.", nameof(openClip));
        ClipL = clipL;
        OpenClip = openClip;
    }

    /// <summary>Ids for text encoder 1 (CLIP ViT-L/14).</summary>
    public ImmutableArray<TokenizedPrompt> ClipL { get; }

    /// <summary>Ids for text encoder 2 (OpenCLIP ViT-bigG/14).</summary>
    public ImmutableArray<TokenizedPrompt> OpenClip { get; }

    /// <summary>Number of prompts in the batch.</summary>
    public int Count => ClipL.Length;

    /// <summary>Whether any prompt was cut to fit either encoder.</summary>
    public bool AnyTruncated => ClipL.Any(p => p.Truncated) || OpenClip.Any(p => p.Truncated);

    public bool Equals(Tokens? other) =>
        other is not null && ClipL.SequenceEqual(other.ClipL) && OpenClip.SequenceEqual(other.OpenClip);

    public override int GetHashCode() => HashCode.Combine(Count, Count == 0 ? null : ClipL[0], Count == 0 ? null : OpenClip[0]);
}
