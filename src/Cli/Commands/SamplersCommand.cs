using System.ComponentModel;
using Pipeline.Components;
using Pipeline.Plugins.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl samplers [--all]</c>: the registry as a table.</summary>
public sealed class SamplersCommand : Command<SamplersCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--all")]
        [Description("Also list scalings, guiders, loss weightings and sigma samplers.")]
        public bool All { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var snapshot = PluginHost.LoadOnce();
        var registry = snapshot.Registry;
        var kinds = settings.All
            ? Enum.GetValues<ComponentKind>()
            : new[] { ComponentKind.Sampler, ComponentKind.Discretization };
        foreach (var kind in kinds)
        {
            var rows = registry.All(kind);
            if (rows.Count == 0) continue;
            var table = new Table().Title($"[bold]{ComponentKinds.Display(kind)}s[/]").AddColumns("name", "origin", "description");
            foreach (var r in rows) table.AddRow(Markup.Escape(r.Name), Markup.Escape(r.Origin), Markup.Escape(r.Description));
            AnsiConsole.Write(table);
        }
        PluginsCommand.WarnAboutFailures(snapshot);
        return 0;
    }
}
