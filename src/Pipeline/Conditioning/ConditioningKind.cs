namespace Pipeline.Conditioning;

/// <summary>
/// The part of <see cref="Conditioning"/> an embedder output goes to, and the dimension sgm's GeneralConditioner
/// concatenates it along: crossattn [B, L, C] on C (dim 2), vector [B, C] on dim 1, concat [B, C, H, W] on dim 1.
/// </summary>
public enum ConditioningKind
{
    CrossAttn,
    Vector,
    Concat,
}

public static class ConditioningKinds
{
    public static int ConcatDim(this ConditioningKind kind) => kind switch
    {
        ConditioningKind.CrossAttn => 2,
        ConditioningKind.Vector => 1,
        ConditioningKind.Concat => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, $"valid: {string.Join(", ", Enum.GetNames<ConditioningKind>())}"),
    };

    /// <summary>sgm's name of the part ("crossattn", "vector", "concat").</summary>
    public static string SgmName(this ConditioningKind kind) => kind.ToString().ToLowerInvariant();
}
