using static TorchSharp.torch;

namespace Pipeline.Checkpoints;

/// <summary>
/// Writes safetensors files atomically: tensors stream one at a time into a temporary file next to the
/// target, which replaces the target only once complete (an interrupted write leaves no half-written file).
/// </summary>
public static class SafeTensorsWriter
{
    /// <summary>Writes <paramref name="tensors"/> (name → tensor, any device; stored in the tensor's dtype).</summary>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var list = tensors.ToList();
        var duplicate = list.GroupBy(kv => kv.Key).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"tensor name '{duplicate.Key}' appears more than once");
        if (list.Any(kv => kv.Key == "__metadata__")) throw new ArgumentException("'__metadata__' is reserved and cannot name a tensor");

        long offset = 0;
        var entries = new List<SafeTensorsEntry>(list.Count);
        foreach (var (name, tensor) in list)
        {
            var dtype = SafeTensorsDType.NameOf(tensor.dtype);
            long bytes = tensor.numel() * SafeTensorsDType.SizeOf(tensor.dtype);
            entries.Add(new SafeTensorsEntry(name, dtype, tensor.dtype, tensor.shape, offset, offset + bytes));
            offset += bytes;
        }
        var header = SafeTensorsHeader.Serialize(entries, metadata);

        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory);
        var temp = Path.Combine(directory, $".{Path.GetFileName(path)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var fs = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                fs.Write(BitConverter.GetBytes((ulong)header.Length));
                fs.Write(header);
                foreach (var (_, tensor) in list)
                {
                    using var scope = NewDisposeScope();
                    var cpu = tensor.detach().to(CPU).contiguous();
                    if (cpu.numel() > 0) fs.Write(cpu.bytes);
                }
                fs.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            if (File.Exists(temp)) File.Delete(temp);
            throw;
        }
    }
}
