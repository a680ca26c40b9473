using static TorchSharp.torch;

namespace Pipeline.Checkpoints;

/// <summary>
/// One small reusable CPU buffer per stored dtype through which tensors that change dtype or device are converted
/// piece by piece, straight into their final allocation. Allocating staging once keeps the allocator from scattering
/// freed blocks between parameters: with a fresh full-size staging tensor per parameter, glibc's adaptive mmap
/// threshold left ~30 % extra resident memory after loading OpenCLIP bigG from F16 into bf16 (measured 1.31× the
/// weights); a full-size buffer reused still cost the largest tensor (1.10×); pieces of at most
/// <see cref="PieceBytes"/> bring the peak to the weights plus that.
/// </summary>
internal sealed class StagingBuffers : IDisposable
{
    /// <summary>Size of one conversion piece.</summary>
    public const long PieceBytes = 16L << 20;

    readonly Dictionary<ScalarType, Tensor> _buffers = new();

    /// <summary>Allocates, per stored dtype, one piece (or less, when every tensor of that dtype is smaller).</summary>
    public StagingBuffers(IEnumerable<SafeTensorsEntry> entries)
    {
        foreach (var group in entries.GroupBy(e => e.Type))
        {
            long largest = group.Max(e => e.ElementCount);
            long elementSize = SafeTensorsDType.SizeOf(group.Key);
            long size = Math.Min(largest, Math.Max(1, PieceBytes / elementSize));
            if (size > 0) _buffers[group.Key] = empty(new[] { size }, group.Key, CPU).DetachFromDisposeScope();
        }
    }

    /// <summary>
    /// Reads <paramref name="entry"/> from <paramref name="file"/> into a new tensor of <paramref name="dtype"/> on
    /// <paramref name="device"/>, one piece at a time.
    /// </summary>
    public Tensor Convert(SafeTensorsFile file, SafeTensorsEntry entry, ScalarType dtype, Device device)
    {
        using var scope = NewDisposeScope();
        var result = empty(entry.Shape, dtype, device);
        if (entry.ElementCount > 0)
        {
            if (!_buffers.TryGetValue(entry.Type, out var buffer))
                throw new InvalidOperationException($"no staging buffer for {entry.DType} ('{entry.Name}')");
            var flat = result.view(-1);
            long piece = buffer.shape[0];
            for (long start = 0; start < entry.ElementCount; start += piece)
            {
                long n = Math.Min(piece, entry.ElementCount - start);
                var staged = buffer.narrow(0, 0, n);
                file.ReadRange(entry.Name, start, staged);
                flat.narrow(0, start, n).copy_(staged);
            }
        }
        return result.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var b in _buffers.Values) b.Dispose();
        _buffers.Clear();
    }
}
