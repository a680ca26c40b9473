using Pipeline.Plugins.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl plugins</c>: every plugin folder found, whether it loaded, why not, and what it registered.</summary>
public sealed class PluginsCommand : Command
{
    public override int Execute(CommandContext context, CancellationToken cancellation)
    {
        var options = PluginHostOptions.Default;
        AnsiConsole.MarkupLine($"[grey]plugin directories: {Markup.Escape(options.Directories.Count == 0 ? "(none found)" : string.Join(", ", options.Directories))}[/]");
        var snapshot = PluginHost.LoadOnce(options);
        var table = new Table().AddColumns("plugin", "status", "load time", "registered / reason");
        foreach (var p in snapshot.Plugins)
        {
            var status = p.Status switch
            {
                PluginStatus.Loaded => "[green]loaded[/]",
                PluginStatus.Refused => "[yellow]refused[/]",
                PluginStatus.Hung => "[red]hung[/]",
                _ => "[red]failed[/]",
            };
            var detail = p.Status == PluginStatus.Loaded
                ? string.Join(", ", p.Registered.Select(r => $"{r.Kind.ToString().ToLowerInvariant()}:{r.Name}"))
                : p.Reason ?? "";
            table.AddRow(Markup.Escape(p.Name), status, $"{p.LoadTime.TotalMilliseconds:F0} ms", Markup.Escape(detail));
        }
        AnsiConsole.Write(table);
        return snapshot.Plugins.All(p => p.Status == PluginStatus.Loaded) ? 0 : 1;
    }

    /// <summary>One line per plugin that did not load, on stderr, so listings stay honest.</summary>
    public static void WarnAboutFailures(PluginSnapshot snapshot)
    {
        foreach (var p in snapshot.Plugins.Where(p => p.Status != PluginStatus.Loaded))
            Console.Error.WriteLine($"warning: plugin {p.Name} {p.Status.ToString().ToLowerInvariant()}: {p.Reason}");
    }
}
