using System.Diagnostics;
using Pipeline.Checkpoints;
using Pipeline.Models.TextEncoders;
using Pipeline.Tests.Goldens;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models.TextEncoders;

/// <summary>The full-size text encoders, built on the meta device, hold exactly the tensors of the released checkpoint.</summary>
public class TextEncoderManifestTests(ITestOutputHelper output)
{
    static string Manifests => RepositoryPaths.FromEnvironment("PIPELINE_MANIFESTS", "tests/reference/manifests");

    /// <summary>"key\tdtype\tshape" lines of a manifest file, sorted by key (byte order).</summary>
    static IReadOnlyList<string> ReadManifest(string file) =>
        File.ReadAllLines(Path.Combine(Manifests, file)).Where(l => l.Length > 0).OrderBy(l => l, StringComparer.Ordinal).ToList();

    /// <summary>The same lines for a module's state dict under <paramref name="prefix"/>.</summary>
    static IReadOnlyList<string> ManifestOf(nn.Module module, string prefix) =>
        module.state_dict()
            .Select(kv => $"{prefix}{kv.Key}\t{SafeTensorsDType.NameOf(kv.Value.dtype)}\t{string.Join(",", kv.Value.shape)}")
            .OrderBy(l => l, StringComparer.Ordinal).ToList();

    void AssertSameManifest(IReadOnlyList<string> expected, IReadOnlyList<string> actual, string what)
    {
        var missing = expected.Except(actual).ToList();
        var extra = actual.Except(expected).ToList();
        Assert.True(missing.Count == 0 && extra.Count == 0,
            $"{what}: {missing.Count} manifest lines not produced, {extra.Count} produced lines not in the manifest\n" +
            $"not produced: {string.Join("\n  ", missing.Take(20))}\nextra: {string.Join("\n  ", extra.Take(20))}");
        Assert.Equal(expected.Count, actual.Count);
        output.WriteLine($"{what}: {actual.Count} tensors match the manifest exactly");
    }

    static long ResidentBytes() { using var p = Process.GetCurrentProcess(); p.Refresh(); return p.WorkingSet64; }

    [Fact]
    public void Clip_L_on_meta_matches_the_released_key_dtype_shape_manifest()
    {
        long before = ResidentBytes();
        using var model = new ClipTextModel(ClipTextConfig.ClipL, device: new Device(DeviceType.META));
        long grown = ResidentBytes() - before;
        AssertSameManifest(ReadManifest("sdxl_clip_l_text.tsv"), ManifestOf(model, "conditioner.embedders.0.transformer."), "CLIP-L");
        Assert.All(model.state_dict().Values, t => Assert.Equal(DeviceType.META, t.device.type));
        Assert.True(grown < 64L << 20, $"building on meta grew the resident set by {grown >> 20} MiB");
        output.WriteLine($"resident set grew {grown >> 20} MiB (fp32 weights would be {123_060_480L * 4 >> 20} MiB)");
    }

    [Fact]
    public void OpenClip_bigG_on_meta_matches_the_released_key_dtype_shape_manifest()
    {
        long before = ResidentBytes();
        using var model = new OpenClipTextModel(ClipTextConfig.OpenClipBigG, device: new Device(DeviceType.META));
        long grown = ResidentBytes() - before;
        AssertSameManifest(ReadManifest("sdxl_openclip_bigg_text.tsv"), ManifestOf(model, "conditioner.embedders.1.model."), "OpenCLIP bigG");
        Assert.All(model.state_dict().Values, t => Assert.Equal(DeviceType.META, t.device.type));
        Assert.True(grown < 64L << 20, $"building on meta grew the resident set by {grown >> 20} MiB");
        output.WriteLine($"resident set grew {grown >> 20} MiB (fp32 weights would be {694_659_841L * 4 >> 20} MiB)");
    }
}
