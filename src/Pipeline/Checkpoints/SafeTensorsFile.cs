using System.IO.MemoryMappedFiles;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Checkpoints;

/// <summary>
/// A validated, memory-mapped safetensors file. Tensors are materialised one at a time, straight from the
/// mapping into their destination (dtype and device chosen by the caller), so loading never holds two
/// copies of the weights. Pickled checkpoints (.ckpt/.pt) are refused: they can execute code.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    readonly MemoryMappedFile? _map;
    readonly MemoryMappedViewAccessor? _view;
    readonly long _dataStart;

    public string Path { get; }
    public IReadOnlyDictionary<string, SafeTensorsEntry> Entries { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    SafeTensorsFile(string path, SafeTensorsHeader.Parsed header, MemoryMappedFile? map, MemoryMappedViewAccessor? view)
    {
        Path = path;
        Entries = header.Entries;
        Metadata = header.Metadata;
        _dataStart = header.DataStart;
        _map = map;
        _view = view;
    }

    /// <summary>Opens and validates <paramref name="path"/>; throws <see cref="SafeTensorsFormatException"/> naming the problem.</summary>
    public static SafeTensorsFile Open(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"checkpoint not found: {path}", path);
        var ext = System.IO.Path.GetExtension(path).ToLowerInvariant();
        if (ext is ".ckpt" or ".pt" or ".pth" or ".bin" or ".pkl")
            throw new SafeTensorsFormatException(
                $"{path}: '{ext}' files are Python pickles, which can execute arbitrary code when loaded; this library never loads them. Convert the checkpoint to .safetensors first.");
        long length = new FileInfo(path).Length;
        var prefix = new byte[8];
        using (var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            int read = fs.Read(prefix, 0, 8);
            var header = SafeTensorsHeader.Parse(prefix.AsSpan(0, read), n =>
            {
                var buffer = new byte[n];
                fs.ReadExactly(buffer);
                return buffer;
            }, length, path);
            if (length == 0 || header.Entries.Values.All(e => e.ByteLength == 0))
                return new SafeTensorsFile(path, header, null, null);
            var map = MemoryMappedFile.CreateFromFile(fs, null, 0, MemoryMappedFileAccess.Read, HandleInheritability.None, leaveOpen: false);
            var view = map.CreateViewAccessor(0, 0, MemoryMappedFileAccess.Read);
            return new SafeTensorsFile(path, header, map, view);
        }
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
        if (entry.ByteLength > 0) CopyInto(staged, entry);
        var result = staged.to(target, device ?? CPU);
        return result.MoveToOuterDisposeScope();
    }

    unsafe void CopyInto(Tensor destination, SafeTensorsEntry entry)
    {
        byte* basePtr = null;
        _view!.SafeMemoryMappedViewHandle.AcquirePointer(ref basePtr);
        try
        {
            basePtr += _view.PointerOffset;
            if (entry.ByteLength > int.MaxValue)
                throw new NotSupportedException($"{Path}: tensor '{entry.Name}' is {entry.ByteLength} bytes; tensors over 2 GiB are not supported");
            new ReadOnlySpan<byte>(basePtr + _dataStart + entry.Begin, (int)entry.ByteLength).CopyTo(destination.bytes);
        }
        finally { _view.SafeMemoryMappedViewHandle.ReleasePointer(); }
    }

    public void Dispose()
    {
        _view?.Dispose();
        _map?.Dispose();
    }
}
