namespace Pipeline.IO;

/// <summary>A path the tool will not write to, with the reason (a usage error: nothing was computed yet).</summary>
public sealed class OutputPathException(string message) : ArgumentException(message);

/// <summary>
/// The rules for every file the tool writes (images, grids, checkpoints, training state, recipe outputs), checked
/// before any work: the target is absent or a regular file (a directory, device, FIFO, socket or symbolic link is
/// refused — a link is not followed; give the path it points to), it is not under <c>/proc</c>, <c>/sys</c> or
/// <c>/dev</c>, and its folder is (or can be made) a writable directory.
/// </summary>
public static class OutputTarget
{
    static readonly string[] PseudoFileSystems = { "/proc", "/sys", "/dev" };

    /// <summary>The full path of <paramref name="path"/> when it may be written; otherwise throws <see cref="OutputPathException"/>.</summary>
    public static string Check(string path)
    {
        if (string.IsNullOrWhiteSpace(path)) throw new OutputPathException("the output path is empty");
        var full = Path.GetFullPath(path);
        if (OperatingSystem.IsLinux() && PseudoFileSystems.FirstOrDefault(root => full == root || full.StartsWith(root + "/", StringComparison.Ordinal)) is { } system)
            throw new OutputPathException($"{path}: will not write under {system} (a system folder, not storage)");
        switch (FileKinds.Of(full))
        {
            case FileKind.Missing:
            case FileKind.Regular:
                break;
            case FileKind.Directory:
                throw new OutputPathException($"{path} is a directory; give a file name inside it");
            case FileKind.SymbolicLink:
                throw new OutputPathException($"{path} is a symbolic link; links are not followed or replaced, give the path it points to ({new FileInfo(full).LinkTarget})");
            case var kind:
                throw new OutputPathException($"{path} is a {Describe(kind)}, not a regular file; give a file path");
        }
        var folder = Path.GetDirectoryName(full)!;
        var existing = folder;
        while (FileKinds.Of(existing) == FileKind.Missing && Path.GetDirectoryName(existing) is { } parent) existing = parent;
        if (FileKinds.Of(existing) is not (FileKind.Directory or FileKind.SymbolicLink) || !Directory.Exists(existing))
            throw new OutputPathException($"{path}: {existing} is not a folder");
        if (!CanCreateIn(existing)) throw new OutputPathException($"{path}: cannot write in {existing}");
        return full;
    }

    static bool CanCreateIn(string folder)
    {
        var probe = Path.Combine(folder, $".sdxl-probe-{Guid.NewGuid():N}");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose)) { }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    static string Describe(FileKind kind) => kind switch
    {
        FileKind.CharacterDevice or FileKind.BlockDevice => "device",
        FileKind.Fifo => "FIFO (named pipe)",
        FileKind.Socket => "socket",
        _ => "special file",
    };
}
