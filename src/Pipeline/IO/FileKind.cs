using System.Runtime.InteropServices;

namespace Pipeline.IO;

/// <summary>What is at a path, without following a final symbolic link (the file type bits of <c>lstat</c>).</summary>
public enum FileKind { Missing, Regular, Directory, SymbolicLink, CharacterDevice, BlockDevice, Fifo, Socket, Unknown }

/// <summary>
/// Reads a path's <see cref="FileKind"/>. .NET reports devices and FIFOs as ordinary files, so on Linux this asks
/// <c>lstat</c> directly; elsewhere it falls back to what .NET can tell (missing, directory, link, file).
/// </summary>
public static class FileKinds
{
    public static FileKind Of(string path)
    {
        if (OperatingSystem.IsLinux() && ModeOffset() is { } offset)
        {
            var buffer = new byte[256];   // struct stat is 144 bytes on x86-64 and 128 on arm64
            if (lstat(path, buffer) != 0) return FileKind.Missing;
            uint mode = BitConverter.ToUInt32(buffer, offset);
            return (mode & 0xF000) switch
            {
                0x8000 => FileKind.Regular,
                0x4000 => FileKind.Directory,
                0xA000 => FileKind.SymbolicLink,
                0x2000 => FileKind.CharacterDevice,
                0x6000 => FileKind.BlockDevice,
                0x1000 => FileKind.Fifo,
                0xC000 => FileKind.Socket,
                _ => FileKind.Unknown,
            };
        }
        var info = new FileInfo(path);
        if (info.LinkTarget is not null) return FileKind.SymbolicLink;
        if (Directory.Exists(path)) return FileKind.Directory;
        return info.Exists ? FileKind.Regular : FileKind.Missing;
    }

    /// <summary>Where <c>st_mode</c> sits in glibc's <c>struct stat</c> for this architecture (null: unknown layout).</summary>
    static int? ModeOffset() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => 24,
        Architecture.Arm64 => 16,
        _ => null,
    };

    [DllImport("libc", SetLastError = true)]
    static extern int lstat(string path, byte[] buffer);
}
