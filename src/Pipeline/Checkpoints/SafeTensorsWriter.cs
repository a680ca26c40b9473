using static TorchSharp.torch;

namespace Pipeline.Checkpoints;

/// <summary>
/// Writes safetensors files atomically: tensors stream one at a time into a temporary file next to the
/// target, which replaces the target only once complete (an interrupted write leaves no half-written file).
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> (name → tensor, any device). Each is stored in <paramref name="storage"/>'s
    /// choice for it (default: its own dtype), converted one tensor at a time while streaming, so writing never
    /// holds a converted copy of the whole model.
    /// </summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null, Func<string, Tensor, ScalarType>? storage = null)
    {
        storage ??= (_, t) => t.dtype;
        ArgumentException.ThrowIfNullOrEmpty(path);
        var list = tensors.ToList();
        var duplicate = list.GroupBy(kv => kv.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"tensor name '{duplicate.Key}' appears more than once");
        if (list.Any(kv => kv.Key == "__metadata__")) throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor");

        long offset = 0;
        var entries = new List<SafeTensorsEntry>(list.Count);
        foreach (var (name, tensor) in list)
        {
            var type = storage(name, tensor);
            var dtype = SafeTensorsDType.NameOf(type);
            long bytes = tensor.numel() * SafeTensorsDType.SizeOf(type);
            entries.Add(new SafeTensorsEntry(name, dtype, type, tensor.shape, offset, offset + bytes));
            offset += bytes;
        }
        var header = SafeTensorsHeader.Serialize(entries, metadata);

        IO.AtomicFile.Write(path, raw =>
        {
            using var fs = new BufferedStream(raw, 1 << 20);
            fs.Write(BitConverter.GetBytes((ulong)header.Length));
            fs.Write(header);
            for (int i = 0; i < list.Count; i++)
            {
                using var scope = NewDisposeScope();
                var cpu = list[i].Value.detach().to(entries[i].Type, CPU).contiguous();
                if (cpu.numel() > 0) fs.Write(cpu.bytes);
            }
            fs.Flush();
        });
    }
}
