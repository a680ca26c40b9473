using Pipeline.Generation;
using static TorchSharp.torch;

namespace Pipeline.Extensions;

/// <summary>What <see cref="SdxlServiceCollectionExtensions.AddSdxl"/> registers: the checkpoint (default: the embedded
/// model), where and how it runs, and the defaults of requests that do not say (default: the model's own).</summary>
public sealed class SdxlOptions
{
    /// <summary>An SDXL base single-file checkpoint; null: the embedded default (the tiny model that ships with the library).</summary>
    public string? Checkpoint { get; set; }

    public Device? Device { get; set; }

    /// <summary>Compute type of the UNet and text encoders (the VAE stays float32).</summary>
    public ScalarType DType { get; set; } = ScalarType.Float32;

    /// <summary>Plugin folders to load components from (null: the default folders; empty: built-ins only).</summary>
    public IReadOnlyList<string>? PluginDirectories { get; set; }

    /// <summary>Defaults of a request (size, steps, CFG, sampler, schedule); null: <see cref="GenerationDefaults.For(Models.Bundles.SdxlModel)"/>.</summary>
    public GenerationDefaults? Defaults { get; set; }
}
