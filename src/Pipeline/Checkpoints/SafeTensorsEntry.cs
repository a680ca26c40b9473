using TorchSharp;

namespace Pipeline.Checkpoints;

/// <summary>One tensor's header record: name, stored dtype, shape and byte range within the data section.</summary>
public sealed record SafeTensorsEntry(string Name, string DType, torch.ScalarType Type, long[] Shape, long Begin, long End)
{
    public long ElementCount => Shape.Aggregate(1L, (a, b) => a * b);
    public long ByteLength => End - Begin;
}
