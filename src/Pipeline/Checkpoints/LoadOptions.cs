using static TorchSharp.torch;

namespace Pipeline.Checkpoints;

/// <summary>
/// How <see cref="StateDictLoader.Load(TorchSharp.torch.nn.Module, SafeTensorsFile, LoadOptions)"/> places tensors.
/// </summary>
/// <param name="Prefix">Prepended to every module key to find it in the file (e.g. <c>conditioner.embedders.1.model.</c>).</param>
/// <param name="Device">Where every tensor ends up; null keeps each tensor's device (meta tensors go to the CPU).</param>
/// <param name="DType">Compute dtype of floating tensors (fp32, bf16, fp16); null keeps each tensor's dtype. Integer buffers keep theirs.</param>
/// <param name="IgnoreUnexpected">File keys under the prefix that may be left unused.</param>
public sealed record LoadOptions(
    string Prefix = "", Device? Device = null, ScalarType? DType = null, Func<string, bool>? IgnoreUnexpected = null)
{
    /// <summary>The compute dtypes a checkpoint may be loaded into.</summary>
    public static IReadOnlyList<ScalarType> ComputeDTypes { get; } =
        new[] { ScalarType.Float32, ScalarType.BFloat16, ScalarType.Float16 };

    public LoadOptions Validate()
    {
        ArgumentNullException.ThrowIfNull(Prefix);
        if (DType is { } d && !ComputeDTypes.Contains(d))
            throw new ArgumentException($"compute dtype {d} is not supported; valid: {string.Join(", ", ComputeDTypes)}");
        return this;
    }
}
