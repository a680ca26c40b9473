namespace Pipeline.Cli.Rendering;

/// <summary>
/// A child process's output streams copied into one log file line by line: every line whole (two streams never mix
/// inside a line) and on disk as soon as it arrives, so <c>tail -f</c> follows a running training lane. (Copying both
/// raw streams into one buffered <c>FileStream</c> wrote nothing for the first 4 KB, i.e. the first ~3,000 steps of a
/// lane, and let the two copies race on the same stream.)
/// </summary>
public static class LaneLog
{
    /// <summary>Copies <paramref name="sources"/> into <paramref name="path"/> (created or replaced) until each ends;
    /// the file is closed when the returned task completes.</summary>
    public static async Task Copy(string path, params TextReader[] sources)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(sources);
        var writer = TextWriter.Synchronized(new StreamWriter(path) { AutoFlush = true });
        try
        {
            await Task.WhenAll(sources.Select(source => Pump(source, writer))).ConfigureAwait(false);
        }
        finally
        {
            writer.Dispose();
        }
    }

    static async Task Pump(TextReader source, TextWriter writer)
    {
        while (await source.ReadLineAsync().ConfigureAwait(false) is { } line) writer.WriteLine(line);
    }
}
