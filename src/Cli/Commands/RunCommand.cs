using System.ComponentModel;
using System.Globalization;
using Pipeline.Plugins.Hosting;
using Pipeline.Plugins.Recipes;
using Spectre.Console;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary>
/// <c>sdxl run &lt;recipe.csx&gt; [--key value ...]</c>: compiles the recipe (or loads it from the cache), runs it with
/// the registry (built-ins + plugins) and every option this command does not know as recipe arguments.
/// Exit codes: 0 done, 1 the recipe failed to compile or threw, 130 cancelled with Ctrl+C.
/// </summary>
public sealed class RunCommand : Command<RunCommand.Settings>
{
    public sealed class Settings : CommandSettings
    {
        [CommandArgument(0, "<recipe>")]
        [Description("The recipe file (.csx).")]
        public string Recipe { get; init; } = "";

        [CommandOption("--out <DIR>")]
        [Description("Folder the recipe writes its outputs into (created on first write).")]
        [DefaultValue("outputs")]
        public string Out { get; init; } = "outputs";
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        RecipeArgs args;
        RecipeSource source;
        try
        {
            args = RecipeArguments(context.Remaining);
            source = RecipeSource.FromFile(settings.Recipe);
        }
        catch (Exception e) when (e is RecipeArgumentException or FileNotFoundException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }

        var snapshot = PluginHost.LoadOnce();
        PluginsCommand.WarnAboutFailures(snapshot);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        ConsoleCancelEventHandler onCtrlC = (_, e) =>
        {
            // The first Ctrl+C asks the recipe to stop between steps; a second one ends the process.
            e.Cancel = !stop.IsCancellationRequested;
            stop.Cancel();
        };
        Console.CancelKeyPress += onCtrlC;
        try
        {
            Pipeline.Runtime.TorchRuntime.EnsureConfigured();
            var progress = ConsoleRecipeProgress.ForConsole();
            var globals = new RecipeGlobals(args, snapshot.Registry, progress, new RecipeOutput(settings.Out), stop.Token,
                new RecipeStages(snapshot.Registry, progress, stop.Token));
            var host = new RecipeHost(RecipeHostOptions.Default);
            var result = host.Run(source, globals);
            var how = result.CompiledFromCache ? "loaded from cache" : "compiled";
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{settings.Recipe}: {how} in {result.CompileTime.TotalMilliseconds:F0} ms, ran in {result.RunTime.TotalMilliseconds:F0} ms"));
            if (result.ReturnValue is { } value) Console.WriteLine(value);
            return 0;
        }
        catch (RecipeCompileException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine($"{e.Recipe}: {e.Errors.Count} compile error{(e.Errors.Count == 1 ? "" : "s")}; nothing ran");
            return 1;
        }
        catch (RecipeRuntimeException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            Console.Error.WriteLine("cancelled");
            return 130;
        }
        finally
        {
            Console.CancelKeyPress -= onCtrlC;
        }
    }

    /// <summary>
    /// Options this command does not declare (<c>--name x</c>, <c>-n 3</c>, <c>--fast</c>) and everything after
    /// <c>--</c>, as recipe arguments (keys without their dashes).
    /// </summary>
    static RecipeArgs RecipeArguments(IRemainingArguments remaining)
    {
        var parsed = remaining.Parsed.SelectMany(g => g.Select(v => new KeyValuePair<string, string>(g.Key, v ?? "true")));
        var fromOptions = RecipeArgs.From(parsed);
        // Spectre also lists the options after "--" under Parsed; Raw is parsed to reject stray words there.
        var fromRaw = RecipeArgs.Parse(remaining.Raw);
        return fromRaw.Keys.Where(k => !fromOptions.Has(k)).Aggregate(fromOptions, (args, key) => args.With(key, fromRaw.Raw(key)!));
    }
}
