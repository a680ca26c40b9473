namespace Pipeline.Models.Bundles;

/// <summary>
/// The default model that ships with the library (a tiny SDXL the project trains itself). Until its weights are
/// trained and committed, <see cref="Base"/> is null and callers must ask for a checkpoint instead of producing noise.
/// </summary>
public static class EmbeddedModels
{
    /// <summary>Folder of shipped weights beside the library.</summary>
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "models");

    /// <summary>Path of the shipped base checkpoint, or null when it is not built yet.</summary>
    public static string? Base => Existing("tiny-sdxl-base.safetensors");

    /// <summary>Path of the shipped refiner checkpoint, or null when it is not built yet.</summary>
    public static string? Refiner => Existing("tiny-sdxl-refiner.safetensors");

    /// <summary>Path of the shipped TAESD-layout tiny decoder trained for the embedded default, or null.</summary>
    public static string? Taesd => Existing("tiny-taesd.safetensors");

    /// <summary>The embedded default's tiny TAESD-layout encoder (<c>sdxl train --stage taesd-encoder</c>), if shipped.</summary>
    public static string? TaesdEncoder => Existing("tiny-taesd-encoder.safetensors");

    public const string MissingMessage =
        "no --checkpoint given and the embedded default model is not available yet (it is trained by the project's " +
        "training recipe and not yet shipped); pass --checkpoint <sd_xl_base_1.0.safetensors or another SDXL single-file checkpoint>";

    static string? Existing(string name)
    {
        var path = Path.Combine(Folder, name);
        return File.Exists(path) ? path : null;
    }
}
