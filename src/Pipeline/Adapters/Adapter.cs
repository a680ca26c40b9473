using Pipeline.Checkpoints;
using Pipeline.Models.Bundles;

namespace Pipeline.Adapters;

/// <summary>
/// A LoRA / LyCORIS adapter file read against an SDXL-layout model: its modules, each mapped to the parameter (or row
/// slice) it changes with the formula of its delta, and a report of every key in the file. Holds names and shapes only;
/// the factors are read from <see cref="SourcePath"/> when the adapter is merged (<see cref="AdapterMerge.Apply"/>).
/// </summary>
/// <param name="Name">The file name without extension (what A1111 and ComfyUI call it).</param>
/// <param name="SourcePath">The safetensors file.</param>
/// <param name="Hashes">A1111's hashes of the file.</param>
/// <param name="ConfigName">The model config it was mapped against.</param>
/// <param name="Modules">The mapped modules.</param>
/// <param name="Report">What became of every key in the file.</param>
/// <param name="Metadata">The file's safetensors metadata (kohya's <c>ss_*</c> training settings, …).</param>
public sealed record Adapter(string Name, string SourcePath, AdapterHashes Hashes, string ConfigName, IReadOnlyList<AdapterModule> Modules,
    AdapterReport Report, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>
    /// Reads the adapter at <paramref name="path"/> (safetensors only; pickles are refused) and maps it onto
    /// <paramref name="model"/>'s parameters. Formats: kohya/sd-scripts LoRA and LoCon, LyCORIS LoHa, LoKr and full,
    /// diffusers and PEFT LoRA (UNet by sgm or diffusers names, both text encoders). Throws
    /// <see cref="ArgumentException"/> naming the key for a malformed adapter (missing halves, rank mismatch, a delta
    /// whose shape is not the weight's, a non-finite alpha) or when nothing in it applies to the model;
    /// <see cref="SafeTensorsFormatException"/> when the file is not valid safetensors.
    /// </summary>
    public static Adapter Load(string path, SdxlModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Load(path, AdapterTargetIndex.For(model));
    }

    /// <summary>As <see cref="Load(string, SdxlModel)"/>, for a model of <paramref name="config"/> (built on the meta device to read its names and shapes).</summary>
    public static Adapter Load(string path, SdxlModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return Load(path, AdapterTargetIndex.For(config));
    }

    /// <summary>As <see cref="Load(string, SdxlModel)"/>, against a prepared index (to read many adapters for one model).</summary>
    public static Adapter Load(string path, AdapterTargetIndex index)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(index);
        using var file = SafeTensorsFile.Open(path);
        var (modules, report) = AdapterReader.Read(file, index);
        return new Adapter(Path.GetFileNameWithoutExtension(path), path, AdapterHashes.Of(path), index.ConfigName, modules, report, file.Metadata);
    }

    public override string ToString() => $"{Name} ({Hashes.Short}): {Modules.Count} modules; {Report.Summary()}";
}
