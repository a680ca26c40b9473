using Pipeline.Models.Bundles;

namespace Pipeline.Cli.Options;

/// <summary>
/// What the image commands use when an option is not given, and the sizes they accept, from the model's config
/// (read from the checkpoint header before anything heavy): the released SDXL layout is a 1024-px model; a config
/// stored in the checkpoint (the embedded default, our own trainings) gives its VAE's training resolution.
/// Small models (≤ 128 px, the embedded default) get the settings measured best for them (README evaluation).
/// </summary>
public sealed record ModelDefaults(int Size, int Steps, double Cfg, string Sampler)
{
    /// <summary>Largest side, as a multiple of the model's size (sgm's SDXL was trained up to 2048 px sides at 1024² area).</summary>
    public const int MaxSideFactor = 4;

    /// <summary>Largest area, as a multiple of the model's size squared: compute and memory grow with it (attention quadratically).</summary>
    public const int MaxAreaFactor = 4;

    public static ModelDefaults For(SdxlModelConfig config)
    {
        int size = config == SdxlModelConfig.SdxlBase || config == SdxlModelConfig.SdxlRefiner ? 1024 : config.Vae.Resolution;
        return size <= 128 ? new ModelDefaults(size, 25, 2.0, "euler_ancestral") : new ModelDefaults(size, 30, 5.0, "euler");
    }

    public int MaxSide => MaxSideFactor * Size;
    public long MaxArea => (long)MaxAreaFactor * Size * Size;

    /// <summary>Problems with an image of <paramref name="width"/>×<paramref name="height"/> for this model (empty when fine).</summary>
    public IEnumerable<string> SizeProblems(int width, int height, string modelName)
    {
        if (width > MaxSide || height > MaxSide)
            yield return $"{width}x{height} is too large for {modelName} ({Size} px model): each side at most {MaxSide} px";
        else if ((long)width * height > MaxArea)
            yield return $"{width}x{height} is too large for {modelName} ({Size} px model): at most {MaxArea} pixels ({2 * Size}x{2 * Size})";
    }
}
