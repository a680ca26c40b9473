namespace Pipeline.IO;

/// <summary>
/// Inputs (checkpoints, images, recipes) must be regular files — a symbolic link to one is fine — so a FIFO, a device
/// such as <c>/dev/zero</c> or a directory is refused at once with a message instead of hanging or reading forever.
/// </summary>
public static class InputFile
{
    /// <summary>The full path of <paramref name="path"/>; throws <see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/>.</summary>
    public static string RequireRegular(string path, string what = "file")
    {
        var full = Path.GetFullPath(path);
        var kind = FileKinds.Of(full);
        if (kind == FileKind.SymbolicLink)
        {
            FileSystemInfo? target;
            try { target = File.ResolveLinkTarget(full, returnFinalTarget: true); }
            catch (IOException e) { throw new InvalidDataException($"{path}: the {what} is a symbolic link that cannot be resolved ({e.Message})"); }
            if (target is null || !target.Exists) throw new FileNotFoundException($"no such {what}: {path} (a link to a missing file)", path);
            kind = FileKinds.Of(target.FullName);
        }
        return kind switch
        {
            FileKind.Regular => full,
            FileKind.Missing => throw new FileNotFoundException($"no such {what}: {path}", path),
            FileKind.Directory => throw new InvalidDataException($"{path} is a directory, not a {what}"),
            _ => throw new InvalidDataException($"{path} is not a regular file ({kind}); a {what} must be a file"),
        };
    }
}
