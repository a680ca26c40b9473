using System.ComponentModel;
using Pipeline.Conditioning;
using Pipeline.Generation;
using Pipeline.Imaging;
using Spectre.Console.Cli;

namespace Pipeline.Cli.Commands;

/// <summary><c>sdxl inpaint image.png mask.png "prompt" --strength 0.8</c>: repaint the white part of the mask (any model).</summary>
public sealed class InpaintCommand : Command<InpaintCommand.Settings>
{
    public sealed class Settings : GenerationOptions
    {
        [CommandArgument(0, "<image>")] [Description("Input image (PNG/JPEG); its size is the output size")] public string Image { get; init; } = "";
        [CommandArgument(1, "<mask>")] [Description("Mask image of the same size: white = repaint, black = keep (grey levels blend; colour images are averaged)")] public string Mask { get; init; } = "";
        [CommandArgument(2, "<prompt>")] [Description("What the masked region should show")] public string Prompt { get; init; } = "";
        [CommandOption("--strength <X>")] [Description("How much the masked region changes, more than 0 and at most 1: the share of the schedule that runs")] [DefaultValue(0.8)] public double Strength { get; init; } = 0.8;
        [CommandOption("--only-masked")] [Description("A1111's 'inpaint only masked': cut the region around the mask (plus --only-masked-padding), inpaint it at the full image size, paste it back (default: the whole image)")] public bool OnlyMasked { get; init; }
        [CommandOption("--only-masked-padding <PX>")] [Description("With --only-masked: pixels of context kept around the mask")] [DefaultValue(32)] public int OnlyMaskedPadding { get; init; } = 32;
        [CommandOption("--mask-blur <PX>")] [Description("Standard deviation in pixels of the Gaussian blur of the mask's edge (A1111's Mask blur)")] [DefaultValue(4)] public int MaskBlur { get; init; } = 4;

        protected override IEnumerable<string> Problems()
        {
            foreach (var p in base.Problems()) yield return p;
            if (!double.IsFinite(Strength) || Strength <= 0 || Strength > 1) yield return $"--strength must be more than 0 and at most 1, got {Strength}";
            if (OnlyMaskedPadding < 0 || OnlyMaskedPadding > 1024) yield return $"--only-masked-padding must be in 0..1024, got {OnlyMaskedPadding}";
            if (!OnlyMasked && OnlyMaskedPadding != 32) yield return "--only-masked-padding needs --only-masked";
            if (MaskBlur < 0 || MaskBlur > InpaintMask.MaxBlur) yield return $"--mask-blur must be in 0..{InpaintMask.MaxBlur}, got {MaskBlur}";
            if (!File.Exists(Image)) yield return $"no such image: {Image}";
            if (!File.Exists(Mask)) yield return $"no such mask image: {Mask}";
            else if (File.Exists(Image))
            {
                string? problem;
                try
                {
                    var (w, h) = ImageHeader.Size(Image);
                    var (mw, mh) = ImageHeader.Size(Mask);
                    problem = (w, h) == (mw, mh) ? null : $"the mask is {mw}x{mh} but the image is {w}x{h}; they must be the same size";
                }
                catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException) { problem = e.Message; }
                if (problem is not null) yield return problem;
            }
            if (Refiner is not null) yield return "inpaint does not take --refiner yet; refine the result with 'sdxl run recipes/refine.csx'";
            if (Width is not null || Height is not null) yield return "inpaint takes its size from the input image; resize the image instead of giving --width/--height";
        }
    }

    public override int Execute(CommandContext context, Settings s, CancellationToken cancellation) =>
        GenerationRunner.Run("inpaint", s, s.Prompt, cancellation, (plan, options) =>
            {
                using var image = PngImage.Read(s.Image);
                using var batch = image.unsqueeze(0);
                using var maskImage = PngImage.Read(s.Mask);
                using var maskBatch = maskImage.unsqueeze(0);
                var mask = InpaintMask.FromImage(maskBatch, s.MaskBlur);
                using (mask.Mask)
                    return s.OnlyMasked
                        ? Pipeline.Stages.InpaintRegion.Run(plan, batch, mask, s.OnlyMaskedPadding, s.Strength, options)
                        : plan.WithInit(InitInput.FromImage(batch, s.Strength).WithMask(mask)).Run(options);
            },
            size: () => ImageHeader.Size(s.Image) is var (w, h) ? new ImageSize(h, w) : default);
}
