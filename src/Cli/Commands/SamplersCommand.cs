using System.ComponentModel;
using System.Text.Json;
using Pipeline.Components;
using Pipeline.Plugins.Hosting;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>sdxl samplers [--all] [--json]</c>: the registry as a table in a terminal; one tab-separated line per component
/// when the output is piped (names never wrap); JSON with <c>--json</c>.
/// </summary>
public sealed class SamplersCommand : Command<SamplersCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandOption("--all")]
        [Description("Also list scalings, guiders, loss weightings and sigma samplers (default: samplers and discretizations).")]
        public bool All { get; init; }

        [CommandOption("--json")]
        [Description("Print a JSON array of {kind, name, origin, description} (default: a table, or tab-separated lines when piped).")]
        public bool Json { get; init; }
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        var snapshot = PluginHost.LoadOnce();
        var registry = snapshot.Registry;
        var kinds = settings.All
            ? Enum.GetValues<ComponentKind>()
            : new[] { ComponentKind.Sampler, ComponentKind.Discretization };
        var rows = kinds.SelectMany(kind => registry.All(kind).Select(r => (Kind: ComponentKinds.Display(kind), r.Name, r.Origin, r.Description))).ToList();
        if (settings.Json)
            Console.WriteLine(JsonSerializer.Serialize(rows.Select(r => new { kind = r.Kind, name = r.Name, origin = r.Origin, description = r.Description }),
                new JsonSerializerOptions { WriteIndented = true }));
        else if (Console.IsOutputRedirected)
            foreach (var r in rows) Console.WriteLine($"{r.Kind}\t{r.Name}\t{r.Origin}\t{r.Description}");
        else
            foreach (var group in rows.GroupBy(r => r.Kind))
            {
                var table = new Table().Title($"[bold]{Markup.Escape(group.Key)}s[/]").AddColumns("name", "origin", "description");
                table.Columns[0].NoWrap();
                foreach (var r in group) table.AddRow(Markup.Escape(r.Name), Markup.Escape(r.Origin), Markup.Escape(r.Description));
                AnsiConsole.Write(table);
            }
        PluginsCommand.WarnAboutFailures(snapshot);
        return ExitCodes.Ok;
    }
}
