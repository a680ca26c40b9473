using System.IO.Pipes;
using Pipeline.Cli.Rendering;
using Xunit;

namespace Pipeline.Tests.Cli;

/// <summary>The second training lane's log: whole lines from both streams, each on disk while the lane still runs.</summary>
public sealed class LaneLogTests
{
    [Fact]
    public async Task Both_streams_lines_arrive_whole_and_each_once()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("lane-log").FullName, "lane.log");
        var output = string.Join("\n", Enumerable.Range(0, 2000).Select(i => $"out line {i} " + new string('o', i % 97)));
        var errors = string.Join("\n", Enumerable.Range(0, 2000).Select(i => $"err line {i} " + new string('e', i % 89)));
        await LaneLog.Copy(path, new StringReader(output), new StringReader(errors));
        var lines = File.ReadAllLines(path);
        Assert.Equal(4000, lines.Length);
        Assert.Equal(output.Split('\n'), lines.Where(l => l.StartsWith("out ", StringComparison.Ordinal)));
        Assert.Equal(errors.Split('\n'), lines.Where(l => l.StartsWith("err ", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_line_is_in_the_file_before_its_stream_ends()
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("lane-log").FullName, "lane.log");
        using var pipe = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, pipe.ClientSafePipeHandle);
        var copy = LaneLog.Copy(path, new StreamReader(client), new StringReader(""));
        var writer = new StreamWriter(pipe) { AutoFlush = true };
        writer.WriteLine("refiner step 100/3000 loss 0.0512");
        string seen = "";
        for (int i = 0; i < 200 && !seen.Contains("step 100/3000", StringComparison.Ordinal); i++)
        {
            await Task.Delay(25);
            using var read = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            seen = new StreamReader(read).ReadToEnd();
        }
        Assert.Contains("refiner step 100/3000 loss 0.0512", seen);
        Assert.False(copy.IsCompleted);   // the lane still runs
        writer.Dispose();
        await copy;
        Assert.Equal(new[] { "refiner step 100/3000 loss 0.0512" }, File.ReadAllLines(path));
    }
}
