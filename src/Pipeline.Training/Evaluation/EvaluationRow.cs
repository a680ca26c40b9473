using System.Globalization;

namespace Pipeline.Training.Evaluation;

/// <summary>
/// One row of the evaluation table: detector accuracies over <see cref="Samples"/> images, the share of objects cut by
/// the image border (and of those, the share cut on the top or left edge), mean sharpness (variance of the Laplacian)
/// and the mean outline error of the objects not cut by the border (<see cref="World.ShapeOutline"/>: 0 for the world's
/// own 64-px renderings, higher for lumpy, wavy or lobed shapes; NaN when no such object was found).
/// </summary>
public sealed record EvaluationRow(string Group, string Label, int Samples, double Color, double Background, double Shape, double All,
    double CutRate, double CutTopLeftShare, double Sharpness, double Outline = double.NaN)
{
    public static string MarkdownHeader =>
        "| group | setting | n | colour | background | shape | all three | cut by border | cuts on top/left | sharpness (×1e-4) | outline error |\n" +
        "|---|---|---|---|---|---|---|---|---|---|---|";

    public string ToMarkdown() => string.Create(CultureInfo.InvariantCulture,
        $"| {Group} | {Label} | {Samples} | {Color:F3} | {Background:F3} | {Shape:F3} | {All:F3} | {CutRate:F3} | {CutTopLeftShare:F2} | {Sharpness * 1e4:F2} | {Outline:F3} |");
}
