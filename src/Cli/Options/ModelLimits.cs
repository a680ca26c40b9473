using Pipeline.Conditioning;
using Pipeline.Generation;

namespace Pipeline.Cli.Options;

/// <summary>
/// The image sizes the commands accept for a model, relative to the size it is meant for
/// (<see cref="GenerationDefaults"/>: 64 px for the embedded default, 1024 px for SDXL): compute and memory grow with
/// the area (attention quadratically), so a size far beyond the model's is refused before anything is loaded.
/// </summary>
public sealed record ModelLimits(int ModelSize)
{
    /// <summary>Largest side, as a multiple of the model's size.</summary>
    public const int MaxSideFactor = 4;

    /// <summary>Largest area, as a multiple of the model's size squared.</summary>
    public const int MaxAreaFactor = 4;

    public static ModelLimits For(GenerationDefaults defaults) => new(Math.Max(defaults.Size.Height, defaults.Size.Width));

    public int MaxSide => MaxSideFactor * ModelSize;
    public long MaxArea => (long)MaxAreaFactor * ModelSize * ModelSize;

    /// <summary>Problems with an image of this size for the model (empty when fine).</summary>
    public IEnumerable<string> SizeProblems(ImageSize size, string modelName)
    {
        if (size.Width > MaxSide || size.Height > MaxSide)
            yield return $"{size.Width}x{size.Height} is too large for {modelName} ({ModelSize} px model): each side at most {MaxSide} px";
        else if ((long)size.Width * size.Height > MaxArea)
            yield return $"{size.Width}x{size.Height} is too large for {modelName} ({ModelSize} px model): at most {MaxArea} pixels ({2 * ModelSize}x{2 * ModelSize})";
    }
}
