using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Checkpoints;

/// <summary>
/// A validated safetensors file. Tensors are read one at a time with positioned reads straight into their
/// staging tensor and converted to the dtype and device the caller chooses, so loading never holds two copies
/// of the weights nor maps the whole file into the process (mapped pages would count towards its resident
/// memory). Pickled checkpoints (.ckpt/.pt) are refused: they can execute code.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>Positioned reads are issued in pieces of at most this many bytes.</summary>
    const int ReadChunkBytes = 1 << 26;

    readonly SafeFileHandle _handle;
    readonly long _dataStart;
    readonly long _length;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafeTensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    SafeTensorsFile(string path, SafeTensorsHeader.Parsed header, SafeFileHandle handle, long length)
    {
        Path = path;
        Entries = header.Entries;
        Metadata = header.Metadata;
        _dataStart = header.DataStart;
        _handle = handle;
        _length = length;
    }

    /// <summary>Opens and validates <paramref name="path"/>; throws <see cref="SafeTensorsFormatException"/> naming the problem.</summary>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        IO.InputFile.RequireRegular(path, "checkpoint");
        var ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".ckpt" or ".pt" or ".pth" or ".bin" or ".pkl")
            throw new SafeTensorsFormatException(
                $"{path}: '{ext}' files are Python pickles, which can execute arbitrary code when loaded; this library never loads them. Convert the checkpoint to .safetensors first.");
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long length = RandomAccess.GetLength(handle);
            var prefix = new byte[8];
            int read = ReadFully(handle, prefix, 0);
            var header = SafeTensorsHeader.Parse(prefix.AsSpan(0, read), n =>
            {
                var buffer = new byte[n];
                if (ReadFully(handle, buffer, 8) != n)
                    throw new SafeTensorsFormatException($"{path}: file ended inside the {n}-byte header");
                return buffer;
            }, length, path);
            return new SafeTensorsFile(path, header, handle, length);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    static int ReadFully(SafeFileHandle handle, Span<byte> buffer, long offset)
    {
        int total = 0;
        while (total < buffer.Length)
        {
            int n = RandomAccess.Read(handle, buffer[total..], offset + total);
            if (n == 0) break;
            total += n;
        }
        return total;
    }

    public SafeTensorsEntry Entry(string name) =>
        Entries.TryGetValue(name, out var e) ? e : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'");

    public bool Contains(string name) => Entries.ContainsKey(name);

    /// <summary>
    /// Reads one tensor as <paramref name="dtype"/> (default: as stored) on <paramref name="device"/> (default: CPU).
    /// Floating storage converts to any floating dtype; integer storage keeps integer dtypes.
    /// </summary>
    public Tensor Read(string name, ScalarType? dtype = null, Device? device = null)
    {
        var entry = Entry(name);
        var target = dtype ?? entry.Type;
        if (is_floating_point(entry.Type) != is_floating_point(target))
            throw new ArgumentException($"{Path}: tensor '{name}' is stored as {entry.DType}; cannot load it as {target}");
        using var scope = NewDisposeScope();
        var staged = empty(entry.Shape, entry.Type, CPU);
        ReadInto(name, staged);
        var result = staged.to(target, device ?? CPU);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Copies the stored bytes of <paramref name="name"/> into <paramref name="destination"/>: a contiguous CPU tensor of
    /// the stored dtype with the stored number of elements (any shape).
    /// </summary>
    public void ReadInto(string name, Tensor destination)
    {
        var entry = Entry(name);
        if (destination.numel() != entry.ElementCount)
            throw new ArgumentException($"{Path}: tensor '{name}' has {entry.ElementCount} elements; the destination has {destination.numel()}");
        ReadRange(name, 0, destination);
    }

    /// <summary>
    /// Copies elements [<paramref name="start"/>, start + n) of <paramref name="name"/> (in storage order) into
    /// <paramref name="destination"/>, a contiguous CPU tensor of the stored dtype with n elements. Lets a loader
    /// convert a large tensor piece by piece through one small staging buffer.
    /// </summary>
    public void ReadRange(string name, long start, Tensor destination)
    {
        var entry = Entry(name);
        long count = destination.numel();
        if (destination.device.type != DeviceType.CPU || destination.dtype != entry.Type || !destination.is_contiguous())
            throw new ArgumentException(
                $"{Path}: tensor '{name}' is {entry.DType}; the destination must be a contiguous CPU {entry.Type} tensor, got {destination.dtype} on {destination.device}");
        if (start < 0 || count > entry.ElementCount - start)
            throw new ArgumentOutOfRangeException(nameof(start), $"{Path}: elements [{start}, {start + count}) are outside tensor '{name}' ({entry.ElementCount} elements)");
        if (count == 0) return;
        using var scope = NewDisposeScope();
        var flat = destination.view(-1);
        long elementSize = entry.ByteLength / entry.ElementCount;
        long chunkElements = Math.Max(1, ReadChunkBytes / elementSize);
        for (long done = 0; done < count; done += chunkElements)
        {
            long n = Math.Min(chunkElements, count - done);
            var span = flat.narrow(0, done, n).bytes;
            long offset = _dataStart + entry.Begin + (start + done) * elementSize;
            if (ReadFully(_handle, span, offset) != span.Length)
                throw new SafeTensorsFormatException(
                    $"{Path}: file ended inside tensor '{entry.Name}' (it is now {RandomAccess.GetLength(_handle)} bytes, was {_length} when opened)");
        }
    }

    public void Dispose() => _handle.Dispose();
}
