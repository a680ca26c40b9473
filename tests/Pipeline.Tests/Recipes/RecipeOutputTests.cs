using Xunit;
using Pipeline.Plugins.Recipes;

namespace Pipeline.Tests.Recipes;

public sealed class RecipeOutputTests : IDisposable
{
    readonly string _root = Path.Combine(Path.GetTempPath(), "sdxl-output-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_root)) Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public void PathFor_creates_the_folders_and_keeps_names_inside_the_output_folder()
    {
        var output = new RecipeOutput(Path.Combine(_root, "out"));
        Assert.False(Directory.Exists(output.Folder));
        var path = output.PathFor("grid/cell.png");
        Assert.Equal(Path.Combine(_root, "out", "grid", "cell.png"), path);
        Assert.True(Directory.Exists(Path.Combine(_root, "out", "grid")));
        Assert.Contains("leaves the output folder", Assert.Throws<ArgumentException>(() => output.PathFor("../escape.png")).Message);
        Assert.Contains("must be relative", Assert.Throws<ArgumentException>(() => output.PathFor("/etc/x.png")).Message);
    }

    [Fact]
    public void WriteAtomically_replaces_whole_files_and_a_failed_write_leaves_the_old_file_and_no_temporary()
    {
        var output = new RecipeOutput(_root);
        var path = output.WriteAtomically("a.txt", s => s.Write("first"u8));
        Assert.Equal("first", File.ReadAllText(path));

        // Writers that close the stream themselves are fine.
        var closed = output.WriteAtomically("b.txt", s => { using var w = new StreamWriter(s); w.Write("second"); });
        Assert.Equal("second", File.ReadAllText(closed));

        Assert.Throws<IOException>(() => output.WriteAtomically("a.txt", s =>
        {
            s.Write("half"u8);
            throw new IOException("disk full");
        }));
        Assert.Equal("first", File.ReadAllText(path));
        Assert.Equal(["a.txt", "b.txt"], Directory.GetFiles(_root).Select(Path.GetFileName).Order());
    }

    [Fact]
    public void Progress_reporters_check_their_arguments_and_the_console_one_writes_lines()
    {
        var recording = new RecordingRecipeProgress();
        Assert.Throws<ArgumentOutOfRangeException>(() => recording.Report("denoise", 5, 4));
        Assert.Throws<ArgumentOutOfRangeException>(() => recording.Report("denoise", 0, 0));
        Assert.Empty(recording.Events);

        var text = new StringWriter();
        var console = new ConsoleRecipeProgress(text, rewriteLine: false);
        console.Report("denoise", 1, 2);
        console.Log("done");
        Assert.Equal($"denoise 1/2{Environment.NewLine}done{Environment.NewLine}", text.ToString());
    }
}
