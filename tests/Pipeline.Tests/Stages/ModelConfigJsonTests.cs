using Pipeline.Models.Bundles;
using Xunit;

namespace Pipeline.Tests.Stages;

public class ModelConfigJsonTests
{
    [Fact]
    public void Configs_round_trip_through_json()
    {
        foreach (var c in new[] { SdxlModelConfig.SdxlBase, SdxlModelConfig.SdxlRefiner, TinyModels.Base, TinyModels.Refiner })
        {
            var back = SdxlModelConfigJson.Deserialize(SdxlModelConfigJson.Serialize(c));
            Assert.Equal(SdxlModelConfigJson.Serialize(c), SdxlModelConfigJson.Serialize(back));
            Assert.Equal(c.UNet, back.UNet);
            Assert.Equal(c.Vae, back.Vae);
            Assert.Equal(c.Conditioner.Embedders.Select(e => e.GetType()), back.Conditioner.Embedders.Select(e => e.GetType()));
        }
    }

    [Fact]
    public void A_saved_tiny_model_loads_without_being_told_its_config()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tiny-{Guid.NewGuid():N}.safetensors");
        try
        {
            using (var model = SdxlModel.Create(TinyModels.Base)) model.Save(path);
            using var loaded = SdxlModel.Load(path);
            Assert.Equal("tiny-base", loaded.Config.Name);
        }
        finally { File.Delete(path); }
    }
}
