using Pipeline.Checkpoints;
using Pipeline.Conditioning;
using Pipeline.Tests.Goldens;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Conditioning;

/// <summary>The SDXL conditioners built on meta: released checkpoint keys under <c>conditioner.</c>, and SDXL's widths.</summary>
public class ConditionerManifestTests(ITestOutputHelper output)
{
    static string Manifests => RepositoryPaths.FromEnvironment("PIPELINE_MANIFESTS", "tests/reference/manifests");

    static IEnumerable<string> Manifest(string file) =>
        File.ReadAllLines(Path.Combine(Manifests, file)).Where(l => l.Length > 0);

    static List<string> ManifestOf(nn.Module module, string prefix) =>
        module.state_dict().Select(kv => $"{prefix}{kv.Key}\t{SafeTensorsDType.NameOf(kv.Value.dtype)}\t{string.Join(",", kv.Value.shape)}")
            .OrderBy(l => l, StringComparer.Ordinal).ToList();

    [Fact]
    public void Base_conditioner_holds_the_released_conditioner_keys_and_gives_2048_and_2816()
    {
        using var conditioner = new GeneralConditioner(ConditionerConfig.SdxlBase, new Device(DeviceType.META));
        var expected = Manifest("sdxl_clip_l_text.tsv").Concat(Manifest("sdxl_openclip_bigg_text.tsv")).OrderBy(l => l, StringComparer.Ordinal).ToList();
        var actual = ManifestOf(conditioner, "conditioner.");
        Assert.Equal(expected, actual);
        Assert.Equal(2048, conditioner.Width(ConditioningKind.CrossAttn));
        Assert.Equal(2816, conditioner.Width(ConditioningKind.Vector));
        Assert.Equal(0, conditioner.Width(ConditioningKind.Concat));
        output.WriteLine($"base: {actual.Count} conditioner tensors (released file: 587), crossattn 2048, vector 2816");
    }

    [Fact]
    public void Refiner_conditioner_holds_bigG_at_embedder_0_and_gives_1280_and_2560()
    {
        using var conditioner = new GeneralConditioner(ConditionerConfig.SdxlRefiner, new Device(DeviceType.META));
        var expected = Manifest("sdxl_openclip_bigg_text.tsv")
            .Select(l => l.Replace("conditioner.embedders.1.", "conditioner.embedders.0.")).OrderBy(l => l, StringComparer.Ordinal).ToList();
        Assert.Equal(expected, ManifestOf(conditioner, "conditioner."));
        Assert.Equal(1280, conditioner.Width(ConditioningKind.CrossAttn));
        Assert.Equal(2560, conditioner.Width(ConditioningKind.Vector));
    }
}
