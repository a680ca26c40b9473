using Pipeline.Checkpoints;
using Pipeline.Components;
using Spectre.Console;

namespace Pipeline.Cli;

/// <summary>A user-facing error with a message that says what to do.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>Turns the library's validation errors into one clear line and exit code 2 (1 for runtime failures).</summary>
public static class CliErrors
{
    public static int Guard(Func<int> run)
    {
        try { return run(); }
        catch (Exception e) when (e is CliException or UnknownComponentException or ArgumentException or FileNotFoundException
                                      or SafeTensorsFormatException or StateDictMismatchException)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 2;
        }
    }
}
