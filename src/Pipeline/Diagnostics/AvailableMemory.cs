using System.Globalization;

namespace Pipeline.Diagnostics;

/// <summary>
/// Memory a run may use: <c>SDXL_AVAILABLE_MEMORY</c> when set (bytes, or with a K/M/G/T suffix: "512M", "14G"; for tests
/// and for capping a run below what the machine has), else Linux's <c>MemAvailable</c> from /proc/meminfo, else the
/// .NET GC's view of total available memory.
/// </summary>
public static class AvailableMemory
{
    public const string Variable = "SDXL_AVAILABLE_MEMORY";

    public static long Bytes() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } text
            ? Parse(text) ?? throw new ArgumentException($"{Variable}='{text}' is not a size (bytes, or a number with K, M, G or T)")
            : MemInfoAvailable() ?? GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>"123", "512K", "1.5G" (binary units) → bytes; null if not a positive size.</summary>
    public static long? Parse(string text)
    {
        text = text.Trim();
        if (text.Length == 0) return null;
        long unit = char.ToUpperInvariant(text[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, 'T' => 1L << 40, _ => 1 };
        var number = unit == 1 ? text : text[..^1];
        if (!double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !(value > 0) || value * unit > long.MaxValue)
            return null;
        return (long)(value * unit);
    }

    static long? MemInfoAvailable()
    {
        const string meminfo = "/proc/meminfo";
        if (!File.Exists(meminfo)) return null;
        foreach (var line in File.ReadLines(meminfo))
            if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                return long.Parse(line["MemAvailable:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        return null;
    }
}
