using TorchSharp;
using Xunit;

namespace Pipeline.Tests.Runtime;

public class GlibcxxPatchTests
{
    static string PackagedLibrary()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
                   ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(root, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp's packaged native library not found at {path}");
        return path;
    }

    [Fact]
    public void Patch_marks_only_the_GLIBCXX_3_4_32_requirement_weak_and_is_idempotent()
    {
        var original = File.ReadAllBytes(PackagedLibrary());
        Assert.Equal((ushort)0, (ushort)(GlibcxxWeakPatch.RequirementFlags(original, "GLIBCXX_3.4.32")!.Value & 2));
        var patched = (byte[])original.Clone();

        Assert.Equal(GlibcxxWeakPatch.Outcome.Patched, GlibcxxWeakPatch.MakeWeak(patched, "GLIBCXX_3.4.32"));
        Assert.Equal((ushort)2, (ushort)(GlibcxxWeakPatch.RequirementFlags(patched, "GLIBCXX_3.4.32")!.Value & 2));
        var differing = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
        Assert.Single(differing);

        var again = (byte[])patched.Clone();
        Assert.Equal(GlibcxxWeakPatch.Outcome.AlreadyWeak, GlibcxxWeakPatch.MakeWeak(again, "GLIBCXX_3.4.32"));
        Assert.Equal(patched, again);
        Assert.Equal(GlibcxxWeakPatch.Outcome.NotRequired, GlibcxxWeakPatch.MakeWeak(again, "GLIBCXX_9.9.99"));
    }

    [Fact]
    public void Build_output_copy_is_patched_exactly_when_the_system_lacks_the_version_and_torch_loads()
    {
        var output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(output), $"expected the build to copy libLibTorchSharp.so to {output}");
        var flags = GlibcxxWeakPatch.RequirementFlags(File.ReadAllBytes(output), "GLIBCXX_3.4.32")!.Value;
        bool systemHas = GlibcxxWeakPatch.SystemLibStdCxxHas("GLIBCXX_3.4.32", out _);
        Assert.Equal(!systemHas, (flags & 2) != 0);

        using var t = torch.arange(4, dtype: torch.float32);
        Assert.Equal(6f, t.sum().item<float>());
    }

    [Fact]
    public void Garbage_is_rejected_with_a_clear_error()
    {
        var ex = Assert.Throws<InvalidDataException>(() => GlibcxxWeakPatch.MakeWeak(new byte[100], "GLIBCXX_3.4.32"));
        Assert.Contains("not an ELF", ex.Message);
    }
}
