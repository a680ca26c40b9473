namespace Pipeline.Adapters;

/// <summary>Rows [<see cref="Start"/>, <see cref="Start"/> + <see cref="Length"/>) of a parameter (dimension 0).</summary>
public sealed record RowSlice(long Start, long Length)
{
    public long End => Start + Length;

    public override string ToString() => $"[{Start}:{End}]";
}
