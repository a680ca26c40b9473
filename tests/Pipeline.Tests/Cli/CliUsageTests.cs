using System.Diagnostics;
using System.Reflection;
using Pipeline.Cli;
using Spectre.Console;
using Spectre.Console.Cli;
using Xunit;
using Xunit.Abstractions;

namespace Pipeline.Tests.Cli;

/// <summary>
/// The command line as a user meets it: every option documented with its default, every mistake refused with exit
/// code 2 and one line before anything is loaded, unknown options are errors, recipe arguments pass through.
/// </summary>
public sealed class CliUsageTests(ITestOutputHelper log)
{
    static (int Code, string Output) Sdxl(params string[] args) => CliHarness.Sdxl(args);

    public static IEnumerable<object[]> CommandNames => Entry.Commands.Select(c => new object[] { c.Name });

    [Theory]
    [MemberData(nameof(CommandNames))]
    public void Help_of_every_command_runs_and_documents_every_option_with_a_default(string command)
    {
        var (code, output) = Sdxl(command, "--help");
        Assert.True(code == 0, output);
        var settings = Entry.Commands.Single(c => c.Name == command).Settings;
        foreach (var property in settings.GetProperties())
        {
            var option = property.GetCustomAttribute<CommandOptionAttribute>();
            var argument = property.GetCustomAttribute<CommandArgumentAttribute>();
            if (option is null && argument is null) continue;
            var description = property.GetCustomAttribute<System.ComponentModel.DescriptionAttribute>()?.Description;
            var name = option is not null ? "--" + option.LongNames[0]
                : argument!.IsRequired ? "<" + argument.ValueName + ">" : "[" + argument.ValueName + "]";
            Assert.False(string.IsNullOrWhiteSpace(description), $"{command} {name} has no description");
            Assert.Contains(name, output);
            if (option is null) continue;
            bool isFlag = property.PropertyType == typeof(bool);
            bool hasDefault = property.GetCustomAttribute<System.ComponentModel.DefaultValueAttribute>() is not null
                              || description!.Contains("default", StringComparison.OrdinalIgnoreCase);
            Assert.True(isFlag || hasDefault, $"{command} {name}: the help shows no default (add [DefaultValue] or say it in the description)");
        }
    }

    [Theory]
    [InlineData("unknown option --sead for 'txt2img'", "txt2img", "x", "--sead", "1")]
    [InlineData("--cfg 'abc' is not a number", "txt2img", "x", "--cfg", "abc")]
    [InlineData("--steps 'many' is not a whole number", "txt2img", "x", "--steps", "many")]
    [InlineData("--threads must be in 1..", "txt2img", "x", "--threads", "0")]
    [InlineData("got 100000", "txt2img", "x", "--threads", "100000")]
    [InlineData("--steps must be in 1..1000, got 0", "txt2img", "x", "--steps", "0")]
    [InlineData("--vae-tile must be 0 (off) or in 32..512 latent pixels, got 8", "txt2img", "x", "--vae-tile", "8")]
    [InlineData("each side at most 256 px", "txt2img", "x", "--height", "100000")]
    [InlineData("at most 16384 pixels", "txt2img", "x", "--height", "256", "--width", "256")]
    [InlineData("images are written as PNG", "txt2img", "x", "--out", "x.jpg")]
    [InlineData("--refiner-mode and --refiner-at need --refiner", "txt2img", "x", "--refiner-at", "0.5")]
    [InlineData("--refiner-mode and --refiner-at need --refiner", "txt2img", "x", "--refiner-mode", "sdedit")]
    [InlineData("--strength must be more than 0 and at most 1, got 1.5", "img2img", "README.md", "x", "--strength", "1.5")]
    [InlineData("--seed must be -1 (random)", "txt2img", "x", "--seed", "-7")]
    [InlineData("unknown guider 'nope'; valid:", "txt2img", "x", "--guider", "nope")]
    [InlineData("guider 'identity' has no scale", "txt2img", "x", "--guider", "identity", "--cfg", "5")]
    [InlineData("no such file", "txt2img", "x", "--checkpoint", "/nonexistent.safetensors")]
    [InlineData("unknown --dtype 'fp8'", "txt2img", "x", "--dtype", "fp8")]
    [InlineData("--threads must be in 1..", "run", "recipes/hello.csx", "--threads", "0")]
    [InlineData("--scale must be a positive number", "train", "--scale", "0")]
    public void Usage_errors_exit_2_with_one_line_and_load_no_model(string expected, params string[] args)
    {
        long loadsBefore = Pipeline.Models.Bundles.SdxlModel.LoadCount;
        var (code, output) = Sdxl(args);
        log.WriteLine(output);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains(expected, output);
        Assert.Contains("error: ", output);
        Assert.DoesNotContain("   at ", output);   // no stack trace
        Assert.Equal(loadsBefore, Pipeline.Models.Bundles.SdxlModel.LoadCount);
    }

    [Fact]
    public void Bare_sdxl_prints_help_and_is_a_usage_error()
    {
        var (code, output) = Sdxl();
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("USAGE", output);
        Assert.Contains("txt2img", output);
    }

    [Fact]
    public void Run_passes_every_undeclared_option_to_the_recipe_including_single_letters()
    {
        var (own, recipe) = Pipeline.Cli.Commands.RunCommand.SplitArguments(
            new[] { "r.csx", "--n", "6", "--threads", "1", "--out=o", "--steps", "3", "--device", "cpu", "--", "--out", "x" });
        Assert.Equal(new[] { "r.csx", "--threads", "1", "--out=o", "--device", "cpu" }, own);
        Assert.Equal(new[] { "--n", "6", "--steps", "3", "--out", "x" }, recipe);

        var dir = Directory.CreateTempSubdirectory("cli-run").FullName;
        try
        {
            var recipePath = Path.Combine(dir, "echo.csx");
            File.WriteAllText(recipePath, "return \"n=\" + Args.Get(\"n\", 0) + \" device=\" + Device;");
            var (code, output) = Sdxl("run", recipePath, "--n", "6", "--threads", "1");
            Assert.True(code == 0, output);
            Assert.Contains("n=6 device=cpu", output);

            // a recipe reading the host's --out as its own argument gets told, instead of its fallback in silence
            var outPath = Path.Combine(dir, "out.csx");
            File.WriteAllText(outPath, "return Args.Get(\"out\", \"fallback\");");
            var (failed, message) = Sdxl("run", outPath, "--out", dir, "--threads", "1");
            Assert.NotEqual(0, failed);
            Assert.Contains("Output.Folder", message);
            Assert.DoesNotContain("fallback", message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Samplers_piped_are_one_line_each_and_json_parses()
    {
        var (code, output) = Sdxl("samplers", "--json");
        Assert.Equal(0, code);
        using var json = System.Text.Json.JsonDocument.Parse(output[..(output.LastIndexOf(']') + 1)]);
        var names = json.RootElement.EnumerateArray().Select(e => e.GetProperty("name").GetString()).ToList();
        Assert.Contains("euler", names);
        Assert.Contains("dpmpp_2m", names);
    }

    /// <summary>A real process: libtorch's native warnings (NNPACK on CPUs it does not support) never reach stderr.</summary>
    [Fact]
    public async Task A_real_generation_prints_no_native_warnings_and_plain_progress_when_piped()
    {
        var exe = Path.Combine(AppContext.BaseDirectory, "sdxl.dll");
        var dir = Directory.CreateTempSubdirectory("cli-native").FullName;
        try
        {
            var start = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true, WorkingDirectory = dir };
            foreach (var a in new[] { exe, "txt2img", "a red circle on a blue background", "--steps", "20", "--batch", "16", "--threads", "1", "--seed", "3", "--out", "o.png" })
                start.ArgumentList.Add(a);
            using var process = Process.Start(start)!;
            var stdoutTask = process.StandardOutput.ReadToEndAsync();
            var stderrTask = process.StandardError.ReadToEndAsync();
            await process.WaitForExitAsync();
            var (stdout, stderr) = (await stdoutTask, await stderrTask);
            log.WriteLine(stderr);
            Assert.True(process.ExitCode == 0, stderr + stdout);
            Assert.DoesNotContain("NNPACK", stderr);
            Assert.DoesNotContain("[W", stderr);   // libtorch's warning prefix
            Assert.Contains("step 20/20", stderr);
            Assert.Equal(16, Directory.GetFiles(dir, "o-*.png").Length);
            Assert.Equal(false, Pipeline.Runtime.NativeSwitches.NnpackEnabled);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Info_escapes_control_characters_from_the_file()
    {
        var dir = Directory.CreateTempSubdirectory("cli-info").FullName;
        try
        {
            var path = Path.Combine(dir, "evil.png");
            using (var pixels = TorchSharp.torch.zeros(3, 8, 8))
            {
                var png = Pipeline.Imaging.PngImage.Encode(pixels);
                Pipeline.Imaging.PngImage.WriteAtomically(path, Pipeline.Imaging.PngTextChunks.Insert(png, "parameters", "red\u001b[2J\u0007 circle\nSteps: 3"));
            }
            var (code, output) = Sdxl("info", path);
            Assert.Equal(0, code);
            Assert.DoesNotContain('\u001b', output);
            Assert.DoesNotContain('\u0007', output);
            Assert.Contains("red\\x1B[2J\\x07 circle", output);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void A_plugin_guider_chosen_by_name_runs_and_is_recorded()
    {
        var dir = Directory.CreateTempSubdirectory("cli-guider").FullName;
        try
        {
            var path = Path.Combine(dir, "g.png");
            var (code, output) = Sdxl("txt2img", "a red circle on a blue background", "--guider", "guidance_rescale", "--cfg", "3",
                "--steps", "3", "--seed", "4", "--out", path);
            Assert.True(code == 0, output);
            var text = Pipeline.Imaging.PngImage.ReadParametersText(path)!;
            Assert.Contains("CFG scale: 3", text);
            Assert.Contains("Guider: \"RescaleCFG(", text);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
