using Pipeline.Runtime;
using Spectre.Console;

namespace Pipeline.Tests.Cli;

/// <summary>
/// Runs the <c>sdxl</c> command in-process with its console (stdout, stderr, Spectre) captured, and puts back what a
/// command changes for the whole process: the consoles and the torch thread count it configures.
/// </summary>
public static class CliHarness
{
    public static (int Code, string Output) Sdxl(params string[] args)
    {
        var writer = new StringWriter();
        var previous = AnsiConsole.Console;
        var previousOut = Console.Out;
        var previousErr = Console.Error;
        var previousRuntime = TorchRuntime.Applied;
        AnsiConsole.Console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(writer), Ansi = AnsiSupport.No, Interactive = InteractionSupport.No });
        Console.SetOut(writer);
        Console.SetError(writer);
        try { return (Pipeline.Cli.Entry.Run(args), writer.ToString()); }
        finally
        {
            AnsiConsole.Console = previous;
            Console.SetOut(previousOut);
            Console.SetError(previousErr);
            if (previousRuntime is not null) TorchRuntime.Configure(previousRuntime);
        }
    }
}
