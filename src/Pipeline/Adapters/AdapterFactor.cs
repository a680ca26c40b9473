using TorchSharp;

namespace Pipeline.Adapters;

/// <summary>One stored factor of a delta: its tensor name in the adapter file, its shape and stored dtype.</summary>
public sealed record AdapterFactor(string Key, IReadOnlyList<long> Shape, torch.ScalarType DType)
{
    public int Rank => Shape.Count;

    public long this[int dim] => Shape[dim];

    public override string ToString() => $"'{Key}' {DeltaShapes.Show(Shape)}";

    public bool Equals(AdapterFactor? other) => other is not null && Key == other.Key && DType == other.DType && Shape.SequenceEqual(other.Shape);

    public override int GetHashCode() => HashCode.Combine(Key, DType, Shape.Count);
}
