using System.ComponentModel;
using Pipeline.Conditioning;
using Pipeline.Generation;
using Pipeline.Imaging;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl img2img image.png "prompt" --strength 0.6</c>: SDEdit from an input image.</summary>
public sealed class Img2ImgCommand : Command<Img2ImgCommand.Settings>
{
    public sealed class Settings : GenerationOptions
    {
        [CommandArgument(0, "<image>")] [Description("Input image (PNG/JPEG); its size is the output size")] public string Image { get; init; } = "";
        [CommandArgument(1, "<prompt>")] [Description("What the image should become")] public string Prompt { get; init; } = "";
        [CommandOption("--strength <X>")] [Description("How much to change, more than 0 and at most 1: the share of the schedule that runs")] [DefaultValue(0.6)] public double Strength { get; init; } = 0.6;

        protected override IEnumerable<string> Problems()
        {
            foreach (var p in base.Problems()) yield return p;
            if (!double.IsFinite(Strength) || Strength <= 0 || Strength > 1) yield return $"--strength must be more than 0 and at most 1, got {Strength}";
            if (!File.Exists(Image)) yield return $"no such image: {Image}";
            if (Refiner is not null) yield return "img2img does not take --refiner; refine the result with 'sdxl run recipes/refine.csx'";
            if (Width is not null || Height is not null) yield return "img2img takes its size from the input image; resize the image instead of giving --width/--height";
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        GenerationRunner.Run("img2img", s, s.Prompt, cancellation, (plan, options) =>
            {
                using var image = PngImage.Read(s.Image);
                using var batch = image.unsqueeze(0);
                return plan.WithInit(InitInput.FromImage(batch, s.Strength)).Run(options);
            },
            size: () => ImageHeader.Size(s.Image) is var (w, h) ? new ImageSize(h, w) : default);
}
