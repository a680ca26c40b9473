using System.Diagnostics;
using Pipeline.IO;
using Pipeline.Tests.Cli;
using Xunit;

namespace Pipeline.Tests.IO;

/// <summary>
/// What the tool writes to and reads from: regular files only, checked before any work; writes are atomic and clean
/// up after a killed predecessor. Device-like targets are made in a temporary folder (a FIFO, a symlink), never /dev.
/// </summary>
public sealed class OutputTargetTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("sdxl-io").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }

    string Fifo()
    {
        var path = Path.Combine(_dir, "pipe.png");
        Assert.Equal(0, mkfifo(path, 0x180 /* 0600 */));
        return path;
    }

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
    static extern int mkfifo(string path, uint mode);

    [Fact]
    public void File_kinds_are_told_apart_without_following_links()
    {
        var file = Path.Combine(_dir, "a.png");
        File.WriteAllBytes(file, new byte[] { 1 });
        var link = Path.Combine(_dir, "link.png");
        File.CreateSymbolicLink(link, file);
        Assert.Equal(FileKind.Regular, FileKinds.Of(file));
        Assert.Equal(FileKind.Directory, FileKinds.Of(_dir));
        Assert.Equal(FileKind.SymbolicLink, FileKinds.Of(link));
        Assert.Equal(FileKind.Missing, FileKinds.Of(Path.Combine(_dir, "none")));
        if (OperatingSystem.IsLinux()) Assert.Equal(FileKind.Fifo, FileKinds.Of(Fifo()));
    }

    [Fact]
    public void Directories_links_fifos_and_system_folders_are_refused_and_left_as_they_were()
    {
        var file = Path.Combine(_dir, "real.png");
        File.WriteAllBytes(file, new byte[] { 7 });
        var link = Path.Combine(_dir, "link.png");
        File.CreateSymbolicLink(link, file);
        Assert.Contains("is a directory", Assert.Throws<OutputPathException>(() => OutputTarget.Check(_dir)).Message);
        Assert.Contains("symbolic link", Assert.Throws<OutputPathException>(() => AtomicFile.WriteBytes(link, new byte[] { 1, 2 })).Message);
        Assert.Equal(FileKind.SymbolicLink, FileKinds.Of(link));
        Assert.Equal(new byte[] { 7 }, File.ReadAllBytes(file));
        if (OperatingSystem.IsLinux())
        {
            var fifo = Fifo();
            Assert.Contains("FIFO", Assert.Throws<OutputPathException>(() => AtomicFile.WriteBytes(fifo, new byte[] { 1 })).Message);
            Assert.Equal(FileKind.Fifo, FileKinds.Of(fifo));
            Assert.Throws<OutputPathException>(() => OutputTarget.Check("/proc/x.png"));
            Assert.Throws<OutputPathException>(() => OutputTarget.Check("/sys/o.png"));
            Assert.Throws<OutputPathException>(() => OutputTarget.Check("/dev/full"));
        }
        var underFile = Path.Combine(file, "x.png");
        Assert.Contains("is not a folder", Assert.Throws<OutputPathException>(() => OutputTarget.Check(underFile)).Message);
    }

    [Fact]
    public void A_write_replaces_a_regular_file_whole_and_removes_temporaries_of_a_killed_write()
    {
        var target = Path.Combine(_dir, "out.png");
        File.WriteAllBytes(target, new byte[] { 1 });
        var stale = Path.Combine(_dir, $".out.png.{Guid.NewGuid():N}{AtomicFile.TempSuffix}");
        File.WriteAllBytes(stale, new byte[] { 9, 9 });
        var other = Path.Combine(_dir, $".other.png.{Guid.NewGuid():N}{AtomicFile.TempSuffix}");
        File.WriteAllBytes(other, new byte[] { 9 });
        AtomicFile.WriteBytes(target, new byte[] { 4, 5, 6 });
        Assert.Equal(new byte[] { 4, 5, 6 }, File.ReadAllBytes(target));
        Assert.False(File.Exists(stale));
        Assert.True(File.Exists(other));   // only the temporaries of this target
        Assert.Empty(AtomicFile.StaleTemporaries(target));
    }

    [Fact]
    public void A_failed_write_leaves_the_old_file_and_no_temporary()
    {
        var target = Path.Combine(_dir, "keep.png");
        File.WriteAllBytes(target, new byte[] { 3 });
        Assert.Throws<InvalidOperationException>(() => AtomicFile.Write(target, s => { s.Write(new byte[] { 1 }); throw new InvalidOperationException("boom"); }));
        Assert.Equal(new byte[] { 3 }, File.ReadAllBytes(target));
        Assert.Empty(AtomicFile.StaleTemporaries(target));
    }

    [Fact]
    public void Inputs_must_be_regular_files()
    {
        Assert.Throws<FileNotFoundException>(() => InputFile.RequireRegular(Path.Combine(_dir, "none.safetensors"), "checkpoint"));
        Assert.Contains("directory", Assert.Throws<InvalidDataException>(() => InputFile.RequireRegular(_dir, "checkpoint")).Message);
        var file = Path.Combine(_dir, "x.bin");
        File.WriteAllBytes(file, new byte[] { 1 });
        var link = Path.Combine(_dir, "x-link");
        File.CreateSymbolicLink(link, file);
        Assert.Equal(Path.GetFullPath(link), InputFile.RequireRegular(link));
        if (OperatingSystem.IsLinux())
        {
            var fifo = Fifo();
            var started = Stopwatch.StartNew();
            Assert.Contains("not a regular file", Assert.Throws<InvalidDataException>(() => Pipeline.Checkpoints.SafeTensorsFile.Open(fifo)).Message);
            Assert.Contains("not a regular file", Assert.Throws<InvalidDataException>(() => Pipeline.Imaging.PngImage.ReadParametersText(fifo)).Message);
            Assert.True(started.Elapsed < TimeSpan.FromSeconds(30));   // refused, not blocked on the pipe
        }
    }

    [Fact]
    public void The_cli_refuses_bad_outputs_before_loading_a_model()
    {
        var link = Path.Combine(_dir, "link.png");
        File.CreateSymbolicLink(link, Path.Combine(_dir, "target.png"));
        long loads = Pipeline.Models.Bundles.SdxlModel.LoadCount;
        foreach (var bad in new[] { link, "/proc/x.png" })
        {
            var (code, output) = CliHarness.Sdxl("txt2img", "x", "--out", bad);
            Assert.Equal(Pipeline.Cli.ExitCodes.Usage, code);
            Assert.Contains("error:", output);
        }
        Directory.CreateDirectory(Path.Combine(_dir, "d.png"));
        var (dirCode, dirOutput) = CliHarness.Sdxl("txt2img", "x", "--out", Path.Combine(_dir, "d.png"));
        Assert.Equal(Pipeline.Cli.ExitCodes.Usage, dirCode);
        Assert.Contains("is a directory", dirOutput);
        Assert.Equal(loads, Pipeline.Models.Bundles.SdxlModel.LoadCount);
        Assert.False(File.Exists(Path.Combine(_dir, "target.png")));
    }
}

/// <summary>A model config read from a file is bounded before anything is built.</summary>
public sealed class ModelConfigBoundsTests
{
    [Theory]
    [InlineData("NumResBlocks")]
    [InlineData("TransformerDepth")]
    [InlineData("ModelChannels")]
    public void A_stored_config_with_absurd_counts_is_refused_at_once(string field)
    {
        var config = Pipeline.Models.Bundles.SdxlModelConfig.TinyBase;
        var unet = field switch
        {
            "NumResBlocks" => config.UNet with { NumResBlocks = [1, 2, 100_000_000] },
            "TransformerDepth" => config.UNet with { TransformerDepth = [0, 1, 100_000] },
            _ => config.UNet with { ModelChannels = 32 * 100_000 },
        };
        var json = Pipeline.Models.Bundles.SdxlModelConfigJson.Serialize(config with { UNet = unet });
        var started = System.Diagnostics.Stopwatch.StartNew();
        var e = Assert.Throws<ArgumentException>(() => Pipeline.Models.Bundles.SdxlModelConfigJson.Deserialize(json));
        Assert.Contains("limit", e.Message + (e.InnerException?.Message ?? ""));
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void An_empty_stored_config_names_what_is_missing()
    {
        var e = Assert.Throws<ArgumentException>(() => Pipeline.Models.Bundles.SdxlModelConfigJson.Deserialize("{}"));
        Assert.Contains("incomplete", e.Message);
    }
}

/// <summary>Checkpoint paths that are not files fail with one line, never a crash.</summary>
public sealed class CheckpointInputTests
{
    [Fact]
    public void A_symlink_loop_as_checkpoint_is_a_usage_error_without_a_load()
    {
        var dir = Directory.CreateTempSubdirectory("sdxl-loop").FullName;
        try
        {
            string a = Path.Combine(dir, "a.safetensors"), b = Path.Combine(dir, "b.safetensors");
            File.CreateSymbolicLink(a, b);
            File.CreateSymbolicLink(b, a);
            long loads = Pipeline.Models.Bundles.SdxlModel.LoadCount;
            var (code, output) = CliHarness.Sdxl("txt2img", "x", "--checkpoint", a);
            Assert.Contains(code, new[] { Pipeline.Cli.ExitCodes.Usage, Pipeline.Cli.ExitCodes.Failure });
            Assert.Contains("error:", output);
            Assert.DoesNotContain("   at ", output);
            Assert.Equal(loads, Pipeline.Models.Bundles.SdxlModel.LoadCount);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
