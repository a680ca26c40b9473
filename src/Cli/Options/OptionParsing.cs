using System.Globalization;
using Pipeline.Conditioning;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Cli.Options;

/// <summary>Parsers for the option values of the CLI; every error says what was expected.</summary>
public static class OptionParsing
{
    /// <summary>"WIDTHxHEIGHT" → (height, width) as SDXL's size tuples hold them.</summary>
    public static ImageSize? Size(string? value, string option)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var parts = value.ToLowerInvariant().Split('x');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int w)
                              && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int h) && w > 0 && h > 0)
            return new ImageSize(h, w);
        throw new ArgumentException($"{option} '{value}' is not WIDTHxHEIGHT (e.g. 1024x1024)");
    }

    /// <summary>"TOP,LEFT" → crop coordinates.</summary>
    public static CropCoords Crop(string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) return default;
        var parts = value.Split(',');
        if (parts.Length == 2 && int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out int top)
                              && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out int left))
            return new CropCoords(top, left);
        throw new ArgumentException($"--crop '{value}' is not TOP,LEFT (e.g. 0,0)");
    }

    public static readonly IReadOnlyDictionary<string, ScalarType> DTypes = new Dictionary<string, ScalarType>
    {
        ["fp32"] = ScalarType.Float32, ["bf16"] = ScalarType.BFloat16, ["fp16"] = ScalarType.Float16,
    };

    public static ScalarType DType(string value) =>
        DTypes.TryGetValue(value.ToLowerInvariant(), out var d) ? d
            : throw new ArgumentException($"unknown --dtype '{value}'; valid: {string.Join(", ", DTypes.Keys)}");

    /// <summary>"auto" (bf16 where it is fast: <see cref="Pipeline.Runtime.ComputePrecision.Auto(Models.Bundles.SdxlModelConfig, Device?)"/>) or an explicit dtype.</summary>
    public static ScalarType DType(string value, Models.Bundles.SdxlModelConfig config, Device device) =>
        value.ToLowerInvariant() is "auto" or "int8" ? Pipeline.Runtime.ComputePrecision.Auto(config, device).DType : DType(value);

    /// <summary>Checks the form of a --dtype value (auto or an explicit dtype).</summary>
    public static void CheckDType(string value)
    {
        if (value.ToLowerInvariant() is not ("auto" or "int8") && !DTypes.ContainsKey(value.ToLowerInvariant()))
            throw new ArgumentException($"unknown --dtype '{value}'; valid: auto, {string.Join(", ", DTypes.Keys)}, int8");
    }

    /// <summary>"cpu", "cuda" or "cuda:N"; CUDA must be available in this build.</summary>
    public static Device Device(string value)
    {
        var v = value.ToLowerInvariant();
        if (v == "cpu") return CPU;
        if (v == "cuda" || v.StartsWith("cuda:", StringComparison.Ordinal))
        {
            if (!cuda.is_available())
                throw new ArgumentException($"--device {value}: CUDA is not available (this build has libtorch for the CPU; reference a TorchSharp CUDA package to use a GPU); valid here: cpu");
            return torch.device(v);
        }
        throw new ArgumentException($"unknown --device '{value}'; valid: cpu, cuda, cuda:N");
    }

    /// <summary>Most threads accepted: four per core (more only adds contention).</summary>
    public static int MaxThreads => 4 * Environment.ProcessorCount;

    /// <summary>The problem with a --threads value, or null when it is fine (or not given).</summary>
    public static string? ThreadsProblem(int? threads) => threads is { } t && (t < 1 || t > MaxThreads)
        ? $"--threads must be in 1..{MaxThreads} (4 per core on this {Environment.ProcessorCount}-core machine), got {t}"
        : null;
}
