using Pipeline.Cli.Commands;
using Spectre.Console.Cli;

namespace Pipeline.Cli;

/// <summary>The <c>sdxl</c> command.</summary>
public static class Entry
{
    public static int Run(string[] args)
    {
        var app = new CommandApp();
        app.Configure(config =>
        {
            config.SetApplicationName("sdxl");
            config.SetApplicationVersion(typeof(Entry).Assembly.GetName().Version?.ToString(3) ?? "0.0.0");
            config.AddCommand<SamplersCommand>("samplers")
                .WithDescription("List the registered samplers, discretizations and other components with their origin.");
            config.AddCommand<TxtToImgCommand>("txt2img")
                .WithDescription("Generate images from a prompt (embedded default model, or --checkpoint).")
                .WithExample("txt2img", "\"a red circle on a blue background\"", "--seed", "1", "--out", "circle.png");
            config.AddCommand<Img2ImgCommand>("img2img")
                .WithDescription("Change an image towards a prompt (SDEdit): --strength sets how much.");
            config.AddCommand<TrainCommand>("train")
                .WithDescription("Train the embedded default (tiny SDXL on the shape world): VAE, base, refiner.");
            config.AddCommand<EvaluateCommand>("evaluate")
                .WithDescription("Evaluate the tiny default (prompt fidelity, multi-aspect, size and crop conditioning, refiner, CFG, samplers).");
            config.AddCommand<BenchCommand>("bench")
                .WithDescription("Benchmarks: unet | vae | text | load | matmul (s/eval, GFLOP/s vs the machine's matmul rate, peak RSS).");
            config.AddCommand<MakeCheckpointCommand>("make-checkpoint")
                .WithDescription("Write a random-weight checkpoint in the released single-file layout (for benchmarks and load tests).");
            config.AddCommand<InfoCommand>("info")
                .WithDescription("Print the generation parameters stored in a PNG.");
            config.AddCommand<RunCommand>("run")
                .WithDescription("Run a C# recipe (.csx); options the command does not know are passed to the recipe as Args.")
                .WithExample("run", "recipes/hello.csx", "--name", "x");
            config.AddCommand<PluginsCommand>("plugins")
                .WithDescription("List plugin folders, their load status (with reasons) and what they registered.");
        });
        return app.Run(args);
    }
}
