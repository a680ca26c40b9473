using Pipeline.Models.Bundles;
using Xunit;

namespace Pipeline.Tests.Models;

/// <summary>Regression tests for stored configs the config fuzz found escaping as other exception types.</summary>
public class StoredConfigRefusalTests
{
    static string Json => SdxlModelConfigJson.Serialize(SdxlModelConfig.TinyBase);

    [Fact]
    public void An_embedder_without_its_target_is_an_ArgumentException_not_NotSupported()
    {
        var e = Assert.Throws<ArgumentException>(() => SdxlModelConfigJson.Deserialize(Json.Replace("\"target\":", "\"t.rget\":")));
        Assert.Contains("not valid", e.Message);
    }

    [Fact]
    public void A_missing_nested_part_is_an_ArgumentException_not_a_NullReferenceException()
    {
        var e = Assert.Throws<ArgumentException>(() => SdxlModelConfigJson.Deserialize(Json.Replace("\"Text\":", "\"Te9t\":")));
        Assert.Contains("Text", e.Message);
    }
}
