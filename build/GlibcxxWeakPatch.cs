// Build-time fix for TorchSharp 0.107 on Debian 12 / Ubuntu 22.04.
//
// libLibTorchSharp.so asks for GLIBCXX_3.4.32 (GCC 13) only because of one
// symbol, std::ios_base_library_init(), which has no relocation. GCC 12's
// libstdc++ (3.4.30) lacks that version, so the dynamic loader refuses the
// library. Marking that single version requirement VER_FLG_WEAK in
// .gnu.version_r turns the hard failure into a loader warning that is never
// acted on. This file patches a *copy* (the one in the build output), never the
// NuGet cache, and only when the system libstdc++ lacks the version.
//
// Compiled twice: by MSBuild's RoslynCodeTaskFactory (with the task class) and
// by the test project (with GLIBCXX_PATCH_NO_TASK, logic only).
#nullable enable
using System;
using System.IO;
using System.Text;

public static class GlibcxxWeakPatch
{
    public const string Version = "GLIBCXX_3.4.32";
    const uint ShtGnuVerneed = 0x6ffffffe;
    const ushort VerFlgWeak = 0x2;

    public enum Outcome { Patched, AlreadyWeak, NotRequired }

    /// <summary>True when a libstdc++ found in the usual places defines <paramref name="version"/>.</summary>
    public static bool SystemLibStdCxxHas(string version, out string? library)
    {
        string[] candidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };
        foreach (var path in candidates)
        {
            if (!File.Exists(path)) continue;
            library = path;
            return Contains(File.ReadAllBytes(path), Encoding.ASCII.GetBytes(version + "\0"));
        }
        library = null;
        return false;
    }

    // Plain loops: RoslynCodeTaskFactory compiles against netstandard2.0 (no spans).
    static bool Contains(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i <= haystack.Length - needle.Length; i++)
        {
            int j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return true;
        }
        return false;
    }

    /// <summary>Reads the vna_flags of the version requirement named <paramref name="version"/>, or null when absent.</summary>
    public static ushort? RequirementFlags(byte[] elf, string version)
    {
        int at = FindVernaux(elf, version);
        return at < 0 ? null : BitConverter.ToUInt16(elf, at + 4);
    }

    /// <summary>Sets VER_FLG_WEAK on the <paramref name="version"/> requirement of an ELF64 little-endian image in place.</summary>
    public static Outcome MakeWeak(byte[] elf, string version)
    {
        int at = FindVernaux(elf, version);
        if (at < 0) return Outcome.NotRequired;
        ushort flags = BitConverter.ToUInt16(elf, at + 4);
        if ((flags & VerFlgWeak) != 0) return Outcome.AlreadyWeak;
        ushort weak = (ushort)(flags | VerFlgWeak);
        elf[at + 4] = (byte)(weak & 0xff);
        elf[at + 5] = (byte)(weak >> 8);
        return Outcome.Patched;
    }

    /// <summary>Patches the file in place (atomically, via a temporary file).</summary>
    public static Outcome PatchFile(string path, string version)
    {
        var bytes = File.ReadAllBytes(path);
        var outcome = MakeWeak(bytes, version);
        if (outcome != Outcome.Patched) return outcome;
        // Keep the timestamp so MSBuild's incremental copy does not replace the patched file every build.
        var stamp = File.GetLastWriteTimeUtc(path);
        var temp = path + ".patching";
        File.WriteAllBytes(temp, bytes);
        File.Copy(temp, path, true);
        File.Delete(temp);
        File.SetLastWriteTimeUtc(path, stamp);
        return outcome;
    }

    // Returns the file offset of the Elf64_Vernaux entry naming `version`, or -1.
    static int FindVernaux(byte[] elf, string version)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("only ELF64 little-endian is supported");
        long shoff = BitConverter.ToInt64(elf, 0x28);
        int shentsize = BitConverter.ToUInt16(elf, 0x3A), shnum = BitConverter.ToUInt16(elf, 0x3C);
        for (int s = 0; s < shnum; s++)
        {
            int sh = checked((int)(shoff + (long)s * shentsize));
            if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
            long offset = BitConverter.ToInt64(elf, sh + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, sh + 0x28);
            int strtab = checked((int)BitConverter.ToInt64(elf, checked((int)(shoff + (long)link * shentsize)) + 0x18));
            int need = (int)offset;
            while (true)
            {
                int count = BitConverter.ToUInt16(elf, need + 2);
                int aux = need + (int)BitConverter.ToUInt32(elf, need + 8);
                for (int a = 0; a < count; a++)
                {
                    int name = strtab + (int)BitConverter.ToUInt32(elf, aux + 8);
                    int end = Array.IndexOf(elf, (byte)0, name);
                    if (Encoding.ASCII.GetString(elf, name, end - name) == version) return aux;
                    uint nextAux = BitConverter.ToUInt32(elf, aux + 12);
                    if (nextAux == 0) break;
                    aux += (int)nextAux;
                }
                uint nextNeed = BitConverter.ToUInt32(elf, need + 12);
                if (nextNeed == 0) break;
                need += (int)nextNeed;
            }
        }
        return -1;
    }
}

#if !GLIBCXX_PATCH_NO_TASK
public class PatchLibTorchSharpGlibcxx : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required] public string[] Files { get; set; } = Array.Empty<string>();

    public override bool Execute()
    {
        if (GlibcxxWeakPatch.SystemLibStdCxxHas(GlibcxxWeakPatch.Version, out var lib))
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low,
                $"libLibTorchSharp.so: system {lib} provides {GlibcxxWeakPatch.Version}; no patch needed.");
            return true;
        }
        foreach (var file in Files)
        {
            if (!File.Exists(file)) continue;
            var outcome = GlibcxxWeakPatch.PatchFile(file, GlibcxxWeakPatch.Version);
            var importance = outcome == GlibcxxWeakPatch.Outcome.Patched
                ? Microsoft.Build.Framework.MessageImportance.High : Microsoft.Build.Framework.MessageImportance.Normal;
            Log.LogMessage(importance, outcome switch
            {
                GlibcxxWeakPatch.Outcome.Patched =>
                    $"Pipeline: system libstdc++ ({lib ?? "not found"}) lacks {GlibcxxWeakPatch.Version}; marked that requirement weak (VER_FLG_WEAK) in {System.IO.Path.GetFullPath(file)}",
                GlibcxxWeakPatch.Outcome.AlreadyWeak => $"Pipeline: {file} already has a weak {GlibcxxWeakPatch.Version} requirement.",
                _ => $"Pipeline: {file} does not require {GlibcxxWeakPatch.Version}.",
            });
        }
        return true;
    }
}
#endif
