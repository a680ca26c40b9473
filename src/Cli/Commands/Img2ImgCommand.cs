using System.ComponentModel;
using Pipeline.Imaging;
using Pipeline.Conditioning;
using Pipeline.Generation;
using Spectre.Console.Cli;
using static TorchSharp.torch;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl img2img image.png "prompt" --strength 0.6</c>: SDEdit from an input image.</summary>
public sealed class Img2ImgCommand : Command<Img2ImgCommand.Settings>
{
    public sealed class Settings : GenerationOptions
    {
        [CommandArgument(0, "<image>")] [Description("Input image (PNG/JPEG); its size is the output size")] public string Image { get; init; } = "";
        [CommandArgument(1, "<prompt>")] public string Prompt { get; init; } = "";
        [CommandOption("--strength <X>")] [Description("How much to change (0, 1]: the share of the schedule that runs")] public double Strength { get; init; } = 0.6;
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        CliErrors.Guard(() =>
        {
            if (!File.Exists(s.Image)) throw new CliException($"no such image: {s.Image}");
            if (s.Refiner is not null) throw new CliException("img2img does not take --refiner; refine the result with 'sdxl run recipes/refine.csx'");
            using var image = PngImage.Read(s.Image);
            using var batch = image.unsqueeze(0);
            return GenerationRunner.Run(s, s.Prompt, cancellation, (plan, options) => plan.WithInit(InitInput.FromImage(batch, s.Strength)).Run(options),
                size: new ImageSize((int)batch.shape[2], (int)batch.shape[3]));
        });
}
