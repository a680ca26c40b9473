using TorchSharp;

namespace Pipeline.Checkpoints;

/// <summary>The safetensors dtype names this library reads and writes, with their torch types and sizes.</summary>
public static class SafeTensorsDType
{
    static readonly IReadOnlyDictionary<string, (torch.ScalarType Type, int Size)> ByName =
        new Dictionary<string, (torch.ScalarType, int)>
        {
            ["F64"] = (torch.ScalarType.Float64, 8), ["F32"] = (torch.ScalarType.Float32, 4),
            ["F16"] = (torch.ScalarType.Float16, 2), ["BF16"] = (torch.ScalarType.BFloat16, 2),
            ["I64"] = (torch.ScalarType.Int64, 8), ["I32"] = (torch.ScalarType.Int32, 4),
            ["I16"] = (torch.ScalarType.Int16, 2), ["I8"] = (torch.ScalarType.Int8, 1),
            ["U8"] = (torch.ScalarType.Byte, 1), ["BOOL"] = (torch.ScalarType.Bool, 1),
        };

    public static IEnumerable<string> Names => ByName.Keys;

    public static bool TryParse(string name, out torch.ScalarType type, out int size)
    {
        if (ByName.TryGetValue(name, out var entry)) { (type, size) = entry; return true; }
        (type, size) = (default, 0);
        return false;
    }

    public static string NameOf(torch.ScalarType type) =>
        ByName.FirstOrDefault(kv => kv.Value.Type == type).Key
        ?? throw new ArgumentException($"dtype {type} cannot be stored in safetensors; valid: {string.Join(", ", ByName.Values.Select(v => v.Type))}");

    public static int SizeOf(torch.ScalarType type) => ByName.Values.First(v => v.Type == type).Size;
}
