namespace Pipeline.Plugins.Recipes;

/// <summary>
/// Plain-text progress: on a terminal a stage's steps rewrite one line (<c>denoise 7/30</c>); redirected, each
/// report is its own line so logs stay readable.
/// </summary>
public sealed class ConsoleRecipeProgress(TextWriter writer, bool rewriteLine) : IRecipeProgress
{
    readonly object _gate = new();
    bool _lineOpen;

    /// <summary>Standard output, rewriting lines only when it is a terminal.</summary>
    public static ConsoleRecipeProgress ForConsole() => new(Console.Out, rewriteLine: !Console.IsOutputRedirected);

    public void Report(string stage, int step, int total)
    {
        RecipeProgressChecks.Step(stage, step, total);
        lock (_gate)
        {
            var text = $"{stage} {step}/{total}";
            if (!rewriteLine)
            {
                writer.WriteLine(text);
                return;
            }
            writer.Write("\r" + text + "\u001b[K");
            _lineOpen = step < total;
            if (!_lineOpen) writer.WriteLine();
            writer.Flush();
        }
    }

    public void Log(string message)
    {
        ArgumentNullException.ThrowIfNull(message);
        lock (_gate)
        {
            if (_lineOpen) writer.WriteLine();
            _lineOpen = false;
            writer.WriteLine(message);
        }
    }
}
