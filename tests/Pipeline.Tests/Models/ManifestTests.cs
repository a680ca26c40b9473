using System.Diagnostics;
using Pipeline.Models.Unet;
using Pipeline.Models.Vae;
using Pipeline.Tests.Goldens;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>
/// The full-size models built on the meta device hold exactly the keys, dtypes and shapes of the released
/// checkpoints (manifests from <c>PIPELINE_MANIFESTS</c>, default tests/reference/manifests), without allocating.
/// </summary>
public class ManifestTests(ITestOutputHelper output)
{
    static string Folder => RepositoryPaths.FromEnvironment("PIPELINE_MANIFESTS", "tests/reference/manifests");

    /// <summary>RSS growth allowed while building a multi-GB model on meta (module objects only).</summary>
    const long MaxGrowthBytes = 256L << 20;

    public static IEnumerable<object[]> Models =>
    [
        ["sdxl_base_unet.tsv", "model.diffusion_model.", "unet-base"],
        ["sdxl_refiner_unet.tsv", "model.diffusion_model.", "unet-refiner"],
        ["sdxl_vae.tsv", "first_stage_model.", "vae"],
    ];

    static nn.Module Build(string which) => which switch
    {
        "unet-base" => new UNetModel(UNetConfig.SdxlBase, META),
        "unet-refiner" => new UNetModel(UNetConfig.SdxlRefiner, META),
        "vae" => new AutoencoderKL(AutoencoderKLConfig.Sdxl, META),
        _ => throw new ArgumentException(which),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void Meta_model_matches_manifest(string manifest, string prefix, string which)
    {
        var expected = Manifest.Read(Path.Combine(Folder, manifest));
        var process = Process.GetCurrentProcess();
        process.Refresh();
        long rssBefore = process.WorkingSet64;
        var clock = Stopwatch.StartNew();
        using var model = Build(which);
        var actual = model.state_dict().ToDictionary(
            kv => prefix + kv.Key,
            kv => new Manifest.Entry(Manifest.DTypeName(kv.Value.dtype), kv.Value.shape));
        clock.Stop();
        process.Refresh();
        long growth = process.WorkingSet64 - rssBefore;
        long elements = actual.Values.Sum(e => e.Shape.Aggregate(1L, (a, b) => a * b));
        output.WriteLine($"{which}: {actual.Count} tensors, {elements:N0} elements, built on meta in {clock.ElapsedMilliseconds} ms, RSS growth {growth / (1 << 20)} MiB");

        Assert.All(model.parameters(), p => Assert.True(p.device_type == DeviceType.META));
        var missing = expected.Keys.Except(actual.Keys).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var extra = actual.Keys.Except(expected.Keys).OrderBy(k => k, StringComparer.Ordinal).ToList();
        var different = expected.Keys.Intersect(actual.Keys)
            .Where(k => !expected[k].Equals(actual[k]))
            .Select(k => $"{k}: manifest {expected[k]}, model {actual[k]}").ToList();
        foreach (var line in missing.Take(20)) output.WriteLine($"missing: {line}");
        foreach (var line in extra.Take(20)) output.WriteLine($"unexpected: {line}");
        foreach (var line in different.Take(20)) output.WriteLine($"different: {line}");
        Assert.True(missing.Count == 0 && extra.Count == 0 && different.Count == 0,
            $"{which} vs {manifest}: {missing.Count} missing, {extra.Count} unexpected, {different.Count} different (see output)");
        Assert.True(growth < MaxGrowthBytes, $"building {which} on meta grew RSS by {growth / (1 << 20)} MiB");
    }
}

/// <summary>A manifest file: <c>key TAB dtype TAB comma-separated shape</c>, one tensor per line.</summary>
public static class Manifest
{
    public sealed record Entry(string DType, long[] Shape)
    {
        public bool Equals(Entry? other) => other is not null && DType == other.DType && Shape.SequenceEqual(other.Shape);
        public override int GetHashCode() => HashCode.Combine(DType, Shape.Length);
        public override string ToString() => $"{DType} [{string.Join(", ", Shape)}]";
    }

    public static IReadOnlyDictionary<string, Entry> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"manifest not found: {path} (set PIPELINE_MANIFESTS)", path);
        return File.ReadLines(path).Where(l => l.Length > 0).Select(line =>
        {
            var parts = line.Split('\t');
            if (parts.Length != 3) throw new FormatException($"{path}: bad line '{line}'");
            var shape = parts[2].Length == 0 ? Array.Empty<long>() : parts[2].Split(',').Select(long.Parse).ToArray();
            return (Key: parts[0], Entry: new Entry(parts[1], shape));
        }).ToDictionary(t => t.Key, t => t.Entry);
    }

    public static string DTypeName(ScalarType type) => type switch
    {
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Float64 => "F64",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        _ => type.ToString(),
    };
}
