namespace Pipeline.Plugins.Recipes;

/// <summary>Write to a temporary file beside the target, then rename over it: readers see the old file or the whole new one.</summary>
static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        ArgumentNullException.ThrowIfNull(write);
        var full = Path.GetFullPath(path);
        var dir = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(dir);
        var temp = Path.Combine(dir, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            bool closedByWriter;
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None))
            {
                write(stream);
                closedByWriter = !stream.CanWrite;
                if (!closedByWriter) stream.Flush(flushToDisk: true);
            }
            // A StreamWriter or image encoder may close the stream itself: reopen it to push the bytes to disk.
            if (closedByWriter)
                using (var reopened = new FileStream(temp, FileMode.Open, FileAccess.Write, FileShare.None))
                    reopened.Flush(flushToDisk: true);
            File.Move(temp, full, overwrite: true);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void WriteBytes(string path, byte[] bytes) => Write(path, s => s.Write(bytes));

    static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
