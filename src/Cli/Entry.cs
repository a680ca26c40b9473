using System.Globalization;
using System.Reflection;
using System.Text.RegularExpressions;
using Pipeline.Cli.Commands;
using Spectre.Console.Cli;

namespace Pipeline.Cli;

/// <summary>The <c>sdxl</c> command.</summary>
public static partial class Entry
{
    /// <summary>Every command with its settings type (the help walker and the error messages use this list).</summary>
    public static IReadOnlyList<(string Name, Type Settings)> Commands { get; } = new (string, Type)[]
    {
        ("samplers", typeof(SamplersCommand.Settings)), ("txt2img", typeof(TxtToImgCommand.Settings)),
        ("img2img", typeof(Img2ImgCommand.Settings)), ("train", typeof(TrainCommand.Settings)),
        ("evaluate", typeof(EvaluateCommand.Settings)), ("bench", typeof(BenchCommand.Settings)),
        ("make-checkpoint", typeof(MakeCheckpointCommand.Settings)), ("info", typeof(InfoCommand.Settings)),
        ("run", typeof(RunCommand.Settings)), ("plugins", typeof(EmptyCommandSettings)),
        ("prompt", typeof(PromptCommand.Settings)), ("make-embedding", typeof(MakeEmbeddingCommand.Settings)),
        ("train-lora", typeof(TrainLoraCommand.Settings)), ("inpaint", typeof(InpaintCommand.Settings)),
        ("serve", typeof(ServeCommand.Settings)),
    };

    public static int Run(string[] args)
    {
        var app = Build();
        if (args.Length == 0)
        {
            app.Run(new[] { "--help" });
            return ExitCodes.Usage;
        }
        try
        {
            if (args[0] == "run" && !args.Skip(1).Any(IsHelp))
            {
                var (own, recipeArgs) = RunCommand.SplitArguments(args.Skip(1).ToArray());
                RunCommand.PendingRecipeArguments = recipeArgs;
                return app.Run(new[] { "run" }.Concat(own).ToArray());
            }
            return app.Run(args);
        }
        catch (CommandParseException e) { return Usage(Explain(e.Message, args)); }
        catch (CommandRuntimeException e) { return Usage(Explain(e.Message, args)); }
        catch (CliException e) { return Usage(e.Message); }
        finally { RunCommand.PendingRecipeArguments = null; }
    }

    static bool IsHelp(string a) => a is "-h" or "--help" or "-?";

    static int Usage(string message)
    {
        CliErrors.Report(message);
        return ExitCodes.Usage;
    }

    static CommandApp Build()
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("sdxl");
            config.SetApplicationVersion(typeof(Entry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
            config.ConfigureConsole(Spectre.Console.AnsiConsole.Console);
            config.UseStrictParsing();
            config.PropagateExceptions();
            config.AddCommand<SamplersCommand>("samplers")
                .WithDescription("List the registered samplers, discretizations and other components with their origin.");
            config.AddCommand<TxtToImgCommand>("txt2img")
                .WithDescription("Generate images from a prompt (embedded default model, or --checkpoint).")
                .WithExample("txt2img", "\"a red circle on a blue background\"", "--seed", "1", "--out", "circle.png");
            config.AddCommand<Img2ImgCommand>("img2img")
                .WithDescription("Change an image towards a prompt (SDEdit): --strength sets how much.");
            config.AddCommand<InpaintCommand>("inpaint")
                .WithDescription("Repaint the white part of a mask (any model; A1111's inpainting): --strength, --mask-blur.")
                .WithExample("inpaint", "circle.png", "mask.png", "\"a blue circle on a blue background\"", "--seed", "1");
            config.AddCommand<ServeCommand>("serve")
                .WithDescription("Serve HTTP: AUTOMATIC1111's API (/sdapi/v1/txt2img, img2img, progress, …), the plan API (/v1/…) and /openapi/v1.json, with one queue and live plugin reload.")
                .WithExample("serve", "--port", "7860");
            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train the embedded default (tiny SDXL on the shape world): VAE, base, refiner.");
            config.AddCommand<TrainLoraCommand>("train-lora")
                .WithDescription("Teach the embedded default a new concept (a colour it never saw) with a LoRA; writes a kohya-format file and the concept evaluation.")
                .WithExample("train-lora", "--concept", "pink", "--rank", "8", "--steps", "600", "--out", "models/tiny-pink-lora.safetensors");
            config.AddCommand<EvaluateCommand>("evaluate")
                .WithDescription("Evaluate the tiny default (prompt fidelity, multi-aspect, size and crop conditioning, refiner, CFG, samplers).");
            config.AddCommand<BenchCommand>("bench")
                .WithDescription("Benchmarks: unet | vae | text | load | matmul (s/eval, GFLOP/s vs the machine's matmul rate, peak RSS).");
            config.AddCommand<MakeCheckpointCommand>("make-checkpoint")
                .WithDescription("Write a random-weight checkpoint in the released single-file layout (for benchmarks and load tests).");
            config.AddCommand<InfoCommand>("info")
                .WithDescription("Print the generation parameters stored in a PNG.");
            config.AddCommand<RunCommand>("run")
                .WithDescription("Run a C# recipe (.csx); every option after the recipe that 'run' does not declare goes to the recipe as Args.")
                .WithExample("run", "recipes/hello.csx", "--name", "x");
            config.AddCommand<PluginsCommand>("plugins")
                .WithDescription("List plugin folders, their load status (with reasons) and what they registered.");
            config.AddCommand<PromptCommand>("prompt")
                .WithDescription("Show how a prompt is read (--style a1111|comfy|sgm): pieces and weights, 77-token chunks per encoder, embeddings, without loading a model; no prompt: JSON lines from stdin.")
                .WithExample("prompt", "\"a (red:1.2) circle BREAK [blue] background\"", "--json");
            config.AddCommand<MakeEmbeddingCommand>("make-embedding")
                .WithDescription("Write a textual-inversion embedding from a model's token embeddings of --init text (A1111's 'Create embedding').")
                .WithExample("make-embedding", "redcircle", "--init", "\"red circle\"");
        });
        return app;
    }

    /// <summary>
    /// Spectre's conversion errors name neither the option nor the expected form ("Failed to convert 'abc' to
    /// Nullable`1."): find the option the value was given to and say what it takes.
    /// </summary>
    static string Explain(string message, string[] args)
    {
        var unknown = UnknownOption().Match(message);
        if (unknown.Success)
        {
            var name = unknown.Groups[1].Value;
            var command = Commands.Any(c => c.Name == args[0]) ? args[0] : null;
            return $"unknown option {(name.Length == 1 ? "-" : "--")}{name}" + (command is null ? "; see 'sdxl --help'" : $" for '{command}'; see 'sdxl {command} --help'");
        }
        var match = FailedConversion().Match(message);
        if (!match.Success) return message.TrimEnd('.');
        var value = match.Groups[1].Value;
        int at = Array.LastIndexOf(args, value);
        var option = at > 0 && args[at - 1].StartsWith('-') ? args[at - 1] : null;
        var type = option is null ? null : OptionType(args[0], option);
        var expected = type switch
        {
            null => "a value of another form",
            _ when type == typeof(int) || type == typeof(long) => "a whole number",
            _ when type == typeof(double) || type == typeof(float) => "a number (e.g. 5 or 0.8)",
            _ => $"a {type.Name}",
        };
        return option is null ? $"'{value}' is not {expected}" : $"{option} '{value}' is not {expected}";
    }

    static Type? OptionType(string command, string option)
    {
        var settings = Commands.FirstOrDefault(c => c.Name == command).Settings;
        var property = settings?.GetProperties().FirstOrDefault(p =>
            p.GetCustomAttribute<CommandOptionAttribute>() is { } o
            && (o.LongNames.Any(n => "--" + n == option) || o.ShortNames.Any(n => "-" + n == option)));
        return property is null ? null : Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
    }

    [GeneratedRegex("^Unknown option '(.*)'")]
    private static partial Regex UnknownOption();

    [GeneratedRegex("^Failed to convert '(.*)' to ", RegexOptions.Singleline)]
    private static partial Regex FailedConversion();

    internal static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
