using System.ComponentModel;
using Pipeline.Cli.Rendering;
using Pipeline.Imaging;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl info image.png</c>: prints the generation parameters stored in a PNG.</summary>
public sealed class InfoCommand : Command<InfoCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<image>")]
        [Description("A PNG written by sdxl (or any tool that writes the A1111 'parameters' chunk).")]
        public string Image { get; init; } = "";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        if (!File.Exists(settings.Image))
        {
            CliErrors.Report($"no such file: {settings.Image}");
            return ExitCodes.Usage;
        }
        string? text;
        try { text = PngImage.ReadParametersText(settings.Image); }
        catch (InvalidDataException e)
        {
            CliErrors.Report($"{settings.Image}: {e.Message}");
            return ExitCodes.Failure;
        }
        if (text is null)
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(settings.Image)} has no generation parameters[/]");
            return ExitCodes.Failure;
        }
        Console.WriteLine(TerminalText.Escape(text));
        return ExitCodes.Ok;
    }
}
