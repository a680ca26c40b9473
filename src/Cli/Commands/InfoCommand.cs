using System.ComponentModel;
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
            AnsiConsole.MarkupLine($"[red]error:[/] no such file: {Markup.Escape(settings.Image)}");
            return 1;
        }
        string? text;
        try { text = PngImage.ReadParametersText(settings.Image); }
        catch (InvalidDataException e)
        {
            AnsiConsole.MarkupLine($"[red]error:[/] {Markup.Escape(settings.Image)}: {Markup.Escape(e.Message)}");
            return 1;
        }
        if (text is null)
        {
            AnsiConsole.MarkupLine($"[yellow]{Markup.Escape(settings.Image)} has no generation parameters[/]");
            return 1;
        }
        Console.WriteLine(text);
        return 0;
    }
}
