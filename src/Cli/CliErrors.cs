using Pipeline.Checkpoints;
using Pipeline.Components;
using Pipeline.Plugins.Hosting;
using Spectre.Console;

namespace Pipeline.Cli;

/// <summary>A user-facing usage error (exit code 2) with a message that says what to do.</summary>
public sealed class CliException(string message) : Exception(message);

/// <summary>
/// Turns errors into one clear line and an exit code (<see cref="ExitCodes"/>): the user's mistakes (bad option
/// values, unknown component names, missing files) are usage errors, 2; failures of the work itself
/// (unreadable or mismatched checkpoints, I/O) are 1, and so is anything a plugin's code threw, which is reported
/// with the plugin's name and file (<see cref="PluginOrigins"/>). Never a stack trace.
/// </summary>
public static class CliErrors
{
    public static int Guard(Func<int> run)
    {
        try { return run(); }
        catch (Exception e) when (e is not OperationCanceledException && PluginOrigins.Of(e) is not null)
        {
            Report(PluginOrigins.Describe(e, Environment.GetEnvironmentVariable("SDXL_DEBUG") is { Length: > 0 } ? e.ToString() : e.Message));
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is CliException or UnknownComponentException or ArgumentException or FileNotFoundException
                                      or DirectoryNotFoundException)
        {
            Report(e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is SafeTensorsFormatException or StateDictMismatchException or IOException or UnauthorizedAccessException
                                      or InvalidDataException)
        {
            Report(e.Message);
            return ExitCodes.Failure;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Anything else is a failure of the work, not a usage error: one line, the stack trace only on request.
            Report(Environment.GetEnvironmentVariable("SDXL_DEBUG") is { Length: > 0 } ? e.ToString() : $"{e.Message} (SDXL_DEBUG=1 shows the details)");
            return ExitCodes.Failure;
        }
    }

    public static void Report(string message) => Console.Error.WriteLine($"error: {message}");
}
