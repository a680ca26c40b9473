using System.Collections.Immutable;

namespace Pipeline.Conditioning;

/// <summary>A token embedding that replaces the table's row at <see cref="Position"/> (0..76) of a chunk: a textual-inversion vector.</summary>
public sealed record TokenVector(int Position, ImmutableArray<float> Values);

/// <summary>
/// What a text encoder reads besides the ids of one chunk: one weight per position (1 = unweighted) and the
/// textual-inversion vectors that replace token embeddings. <see cref="Weights"/> may be empty (all ones).
/// </summary>
public sealed record TextTokenExtras(ImmutableArray<float> Weights, ImmutableArray<TokenVector> Vectors)
{
    /// <summary>No weights, no vectors.</summary>
    public static TextTokenExtras None { get; } = new(ImmutableArray<float>.Empty, ImmutableArray<TokenVector>.Empty);

    /// <summary>Whether any weight differs from 1.</summary>
    public bool HasWeights => !Weights.IsDefaultOrEmpty && Weights.Any(w => w != 1f);

    /// <summary>Problems with these extras for a sequence of <paramref name="length"/> tokens of <paramref name="width"/> channels.</summary>
    public IReadOnlyList<string> Problems(int length, long width)
    {
        var p = new List<string>();
        if (!Weights.IsDefaultOrEmpty && Weights.Length != length) p.Add($"{Weights.Length} token weights for {length} tokens");
        if (!Weights.IsDefaultOrEmpty && Weights.Any(w => !float.IsFinite(w))) p.Add("token weights must be finite");
        foreach (var v in Vectors.IsDefault ? ImmutableArray<TokenVector>.Empty : Vectors)
        {
            if (v.Position < 0 || v.Position >= length) p.Add($"token vector at position {v.Position} is outside 0..{length - 1}");
            if (v.Values.IsDefault || v.Values.Length != width)
                p.Add($"token vector at position {v.Position} has {(v.Values.IsDefault ? 0 : v.Values.Length)} values; this encoder's embeddings have {width}");
        }
        return p;
    }
}
