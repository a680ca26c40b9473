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

        [CommandOption("--threads <N>")]
        [Description("libtorch CPU threads (default: 1 for small models such as the embedded one, one per core for full-size models; see the README).")]
        public int? Threads { get; init; }

        [CommandOption("--device <DEVICE>")]
        [Description("cpu | cuda | cuda:N: the device recipes see as Device (load models onto it).")]
        [DefaultValue("cpu")]
        public string Device { get; init; } = "cpu";

        public override ValidationResult Validate() =>
            Options.OptionParsing.ThreadsProblem(Threads) is { } threads ? ValidationResult.Error(threads) : ValidationResult.Success();
    }

    /// <summary>The recipe's own arguments, split off by <see cref="SplitArguments"/> before Spectre parses the rest.</summary>
    internal static IReadOnlyList<string>? PendingRecipeArguments { get; set; }

    /// <summary>How a recipe reads what this command's own options set (<see cref="RecipeArgs.WithHostOptions"/>).</summary>
    internal static readonly IReadOnlyDictionary<string, string> HostOptionHints = new Dictionary<string, string>
    {
        ["out"] = "Output.Folder", ["threads"] = "torch.get_num_threads()", ["device"] = "Device",
    };

    static readonly HashSet<string> OwnValueOptions = new(StringComparer.Ordinal) { "--out", "--threads", "--device" };

    /// <summary>
    /// Splits the words after <c>run</c>: the recipe path and this command's own options (<c>--out</c>,
    /// <c>--threads</c>, <c>--device</c>, also as <c>--x=value</c>) stay; every other word goes to the recipe
    /// unchanged, single-letter keys (<c>--n 6</c>) included; everything after a lone <c>--</c> is the recipe's.
    /// </summary>
    public static (string[] Own, string[] Recipe) SplitArguments(string[] words)
    {
        var own = new List<string>();
        var recipe = new List<string>();
        bool recipeFound = false;
        for (int i = 0; i < words.Length; i++)
        {
            var w = words[i];
            if (w == "--") { recipe.AddRange(words.Skip(i + 1)); break; }
            var name = w.Split('=', 2)[0];
            if (OwnValueOptions.Contains(name))
            {
                own.Add(w);
                if (!w.Contains('=') && i + 1 < words.Length) own.Add(words[++i]);
            }
            else if (!recipeFound && !w.StartsWith('-')) { own.Insert(0, w); recipeFound = true; }
            else recipe.Add(w);
        }
        return (own.ToArray(), recipe.ToArray());
    }

    public override int Execute(CommandContext context, Settings settings, CancellationToken cancellation)
    {
        RecipeArgs args;
        RecipeSource source;
        TorchSharp.torch.Device device;
        try
        {
            args = RecipeArgs.Parse(PendingRecipeArguments ?? Array.Empty<string>()).WithHostOptions(HostOptionHints);
            device = Options.OptionParsing.Device(settings.Device);
            source = RecipeSource.FromFile(settings.Recipe);
        }
        catch (Exception e) when (e is RecipeArgumentException or FileNotFoundException or ArgumentException)
        {
            CliErrors.Report(e.Message);
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            CliErrors.Report(e.Message);
            return ExitCodes.Failure;
        }

        var snapshot = PluginHost.LoadOnce();
        PluginsCommand.WarnAboutFailures(snapshot);

        using var ctrlC = new Rendering.CtrlC(cancellation);
        try
        {
            if (settings.Threads is { } threads) Pipeline.Runtime.TorchRuntime.Configure(new Pipeline.Runtime.RuntimeSettings(threads));
            else Pipeline.Runtime.TorchRuntime.EnsureConfigured();
            var progress = ConsoleRecipeProgress.ForConsole();
            var globals = new RecipeGlobals(args, snapshot.Registry, progress, new RecipeOutput(settings.Out), ctrlC.Token,
                new RecipeStages(snapshot.Registry, progress, ctrlC.Token)) { Device = device };
            var host = new RecipeHost(RecipeHostOptions.Default, line => Console.Error.WriteLine(line));
            var result = host.Run(source, globals);
            var how = result.CompiledFromCache ? "loaded from cache" : "compiled";
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{settings.Recipe}: {how} in {result.CompileTime.TotalMilliseconds:F0} ms, ran in {result.RunTime.TotalMilliseconds:F0} ms"));
            if (result.ReturnValue is { } value) Console.WriteLine(value);
            return ExitCodes.Ok;
        }
        catch (RecipeCompileException e)
        {
            Console.Error.WriteLine(e.Message);
            Console.Error.WriteLine($"{e.Recipe}: {e.Errors.Count} compile error{(e.Errors.Count == 1 ? "" : "s")}; nothing ran");
            return ExitCodes.Failure;
        }
        catch (RecipeRuntimeException e)
        {
            Console.Error.WriteLine($"error: {PluginOrigins.Describe(e, e.Message)}");
            return ExitCodes.Failure;
        }
        catch (OperationCanceledException) when (ctrlC.Requested)
        {
            Console.Error.WriteLine("cancelled");
            return ExitCodes.Cancelled;
        }
    }
}
