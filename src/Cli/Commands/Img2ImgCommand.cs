using System.ComponentModel;
using Pipeline.Conditioning;
using Pipeline.Generation;
using Pipeline.Imaging;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl img2img image.png "prompt" --strength 0.6</c>: SDEdit from an input image; with <c>--outpaint
/// L,R,T,B</c> the image is extended by that many pixels per side and only the new border is painted.</summary>
public sealed class Img2ImgCommand : Command<Img2ImgCommand.Settings>
{
    public sealed class Settings : GenerationOptions
    {
        [CommandArgument(0, "<image>")] [Description("Input image (PNG/JPEG); its size is the output size")] public string Image { get; init; } = "";
        [CommandArgument(1, "<prompt>")] [Description("What the image should become")] public string Prompt { get; init; } = "";
        [CommandOption("--strength <X>")] [Description("How much to change, more than 0 and at most 1: the share of the schedule that runs")] [DefaultValue(0.6)] public double Strength { get; init; } = 0.6;
        [CommandOption("--outpaint <L,R,T,B>")] [Description("Outpaint: extend the image by left,right,top,bottom pixels (multiples of 8) and paint only the new border (use --strength 1); default: none")] public string? Outpaint { get; init; }
        [CommandOption("--mask-blur <PX>")] [Description("With --outpaint: the blur (pixels) of the seam between the new border and the image")] [DefaultValue(4)] public int MaskBlur { get; init; } = 4;

        protected override IEnumerable<string> Problems()
        {
            foreach (var p in base.Problems()) yield return p;
            if (!double.IsFinite(Strength) || Strength <= 0 || Strength > 1) yield return $"--strength must be more than 0 and at most 1, got {Strength}";
            if (!File.Exists(Image)) yield return $"no such image: {Image}";
            if (Refiner is not null) yield return "img2img does not take --refiner; refine the result with 'sdxl run recipes/refine.csx'";
            if (Width is not null || Height is not null) yield return "img2img takes its size from the input image; resize the image instead of giving --width/--height";
            if (Outpaint is { } o)
            {
                string? problem = null;
                try { Pipeline.Stages.OutpaintPadding.Parse(o); } catch (ArgumentException e) { problem = "--outpaint: " + e.Message; }
                if (problem is not null) yield return problem;
            }
            if (MaskBlur < 0 || MaskBlur > InpaintMask.MaxBlur) yield return $"--mask-blur must be in 0..{InpaintMask.MaxBlur}, got {MaskBlur}";
        }

        internal Pipeline.Stages.OutpaintPadding? Padding => Outpaint is { } o ? Pipeline.Stages.OutpaintPadding.Parse(o) : null;
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        GenerationRunner.Run("img2img", s, s.Prompt, cancellation, (plan, options) =>
            {
                using var image = PngImage.Read(s.Image);
                using var batch = image.unsqueeze(0);
                if (s.Padding is not { } padding) return plan.WithInit(InitInput.FromImage(batch, s.Strength)).Run(options);
                using var outpaint = Pipeline.Stages.OutpaintStage.Prepare(batch, padding, s.Strength, s.MaskBlur, plan.Seed);
                return plan.WithInit(outpaint.Init).Run(options);
            },
            size: () => ImageHeader.Size(s.Image) is var (w, h)
                ? (s.Padding is { } p ? new ImageSize(h + p.Top + p.Bottom, w + p.Left + p.Right) : new ImageSize(h, w))
                : default);
}
