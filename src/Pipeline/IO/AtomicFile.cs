namespace Pipeline.IO;

/// <summary>
/// Writes a file so that readers see the old one or the whole new one, never a part: the bytes go to a temporary file
/// beside the target (<c>.NAME.GUID.sdxl-tmp</c>), are flushed to disk and renamed over the target. Temporary files
/// of earlier writes to the same target that were killed before their rename are removed first. The target is checked
/// with <see cref="OutputTarget.Check"/>.
/// </summary>
public static class AtomicFile
{
    public const string TempSuffix = ".sdxl-tmp";

    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = OutputTarget.Check(path);
        var folder = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(folder);
        RemoveStaleTemporaries(full);
        var temp = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}{TempSuffix}");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                // An encoder may close the stream itself; it is flushed to disk before the rename either way.
                write(new KeepOpenStream(stream));
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    /// <summary>Temporaries of <paramref name="fullPath"/> left by a write that was killed between write and rename.</summary>
    public static IReadOnlyList<string> StaleTemporaries(string fullPath)
    {
        var folder = Path.GetDirectoryName(fullPath)!;
        if (!Directory.Exists(folder)) return Array.Empty<string>();
        return Directory.EnumerateFiles(folder, $".{Path.GetFileName(fullPath)}.*{TempSuffix}").ToList();
    }

    static void RemoveStaleTemporaries(string fullPath)
    {
        foreach (var stale in StaleTemporaries(fullPath)) TryDelete(stale);
    }

    static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>Passes writes through and ignores Close/Dispose, so the owner flushes and closes the real stream.</summary>
    sealed class KeepOpenStream(Stream inner) : Stream
    {
        public override bool CanRead => false;
        public override bool CanSeek => inner.CanSeek;
        public override bool CanWrite => true;
        public override long Length => inner.Length;
        public override long Position { get => inner.Position; set => inner.Position = value; }
        public override void Flush() => inner.Flush();
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => inner.Seek(offset, origin);
        public override void SetLength(long value) => inner.SetLength(value);
        public override void Write(byte[] buffer, int offset, int count) => inner.Write(buffer, offset, count);
        public override void Write(ReadOnlySpan<byte> buffer) => inner.Write(buffer);
        protected override void Dispose(bool disposing) { }
    }
}
