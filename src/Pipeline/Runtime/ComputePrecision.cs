using Pipeline.Models.Bundles;
using static TorchSharp.torch;

namespace Pipeline.Runtime;

/// <summary>
/// The compute dtype "auto" means (<c>--dtype auto</c>, the default): bfloat16 where it is fast and accurate enough, float32
/// otherwise. On a CPU bf16 pays only with native bf16 arithmetic (AVX-512 BF16 or AMX): there a full-size SDXL UNet step
/// ran 4× faster than in float32 (issue 12's measurements), while without it bf16 is emulated and slower. Small models
/// (the embedded default) gain nothing from bf16 — their time is overhead, not arithmetic — so they stay float32. The
/// VAE always decodes in float32. Output error of our bf16 UNet: within sgm's own bf16 autocast error (UNetBehaviourTests).
/// </summary>
public static class ComputePrecision
{
    /// <summary>Whether this CPU has native bf16 instructions (Linux: avx512_bf16 or amx_bf16 in /proc/cpuinfo).</summary>
    public static bool CpuHasNativeBf16 { get; } = ReadCpuFlags().Overlaps(new[] { "avx512_bf16", "amx_bf16" });

    /// <summary>The dtype "auto" picks for <paramref name="config"/> on <paramref name="device"/>, and why.</summary>
    public static (ScalarType DType, string Reason) Auto(SdxlModelConfig config, Device? device = null) =>
        Auto(config, device ?? CPU, CpuHasNativeBf16);

    /// <summary><see cref="Auto(SdxlModelConfig, Device?)"/> with the CPU's capability given (for tests).</summary>
    public static (ScalarType DType, string Reason) Auto(SdxlModelConfig config, Device device, bool nativeBf16)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (device.type == TorchSharp.DeviceType.CUDA) return (ScalarType.BFloat16, "bf16 on the GPU");
        if (config.UNet.ModelChannels < 320) return (ScalarType.Float32, "fp32: a small model gains nothing from bf16");
        return nativeBf16
            ? (ScalarType.BFloat16, "bf16: this CPU has native bf16 (AVX-512 BF16/AMX)")
            : (ScalarType.Float32, "fp32: this CPU has no native bf16 (it would be emulated, slower)");
    }

    /// <summary>
    /// The VAE dtype "auto" picks: bf16 exactly where the UNet runs bf16 by <see cref="Auto(SdxlModelConfig, Device?)"/>
    /// (a full-size model on a CPU with native bf16, or a GPU), float32 otherwise. Measured: the SDXL VAE layout's 512²
    /// decode took 16.9 s in float32 and 8.9 s in bf16 (2 threads, AVX-512 BF16); on the embedded default's trained VAE
    /// the bf16 decode is 51.8 dB from the float32 one. bf16 keeps float32's exponent range, so the SDXL VAE's float16
    /// overflow does not arise.
    /// </summary>
    public static (ScalarType DType, string Reason) AutoVae(SdxlModelConfig config, Device? device = null) =>
        Auto(config, device) is { DType: ScalarType.BFloat16 } ? (ScalarType.BFloat16, "bf16 with the UNet") : (ScalarType.Float32, "fp32");

    /// <summary>The short name used in options and PNG parameters: fp32, bf16, fp16.</summary>
    public static string Name(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "fp32",
        ScalarType.BFloat16 => "bf16",
        ScalarType.Float16 => "fp16",
        _ => dtype.ToString(),
    };

    static HashSet<string> ReadCpuFlags()
    {
        try
        {
            if (!File.Exists("/proc/cpuinfo")) return new HashSet<string>();
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal));
            return line is null ? new HashSet<string>() : line[(line.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries).ToHashSet();
        }
        catch (IOException) { return new HashSet<string>(); }
        catch (UnauthorizedAccessException) { return new HashSet<string>(); }
    }
}
