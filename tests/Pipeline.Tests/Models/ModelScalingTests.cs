using Pipeline.Components;
using Pipeline.Diffusion.Scaling;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Stages;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>The denoiser scaling is part of the model config: chosen from the registry, stored by name, used by the model.</summary>
public class ModelScalingTests
{
    static Pipeline.Generation.GenerationPlan Plan(SdxlModel model) => ComponentRegistry.BuiltIns.TextToImage(model, "a red circle on a blue background",
        new Pipeline.Conditioning.ImageSize(32, 32), "euler", "legacy_ddpm", steps: 4, cfg: 2.0, seed: 5);

    static string TempPath() => Path.Combine(Path.GetTempPath(), $"tiny-{Guid.NewGuid():N}.safetensors");

    [Fact]
    public void A_v_prediction_config_runs_text_to_image_end_to_end_with_its_own_scaling()
    {
        var path = TempPath();
        try
        {
            using (var eps = SdxlModel.Create(TinyModels.Base)) eps.Save(path, ScalarType.Float32);
            var vConfig = TinyModels.Base with { Scaling = ComponentRegistry.BuiltIns.Scaling("v") };
            using var v = SdxlModel.Load(path, vConfig);
            using var sameWeightsEps = SdxlModel.Load(path, TinyModels.Base);
            Assert.IsType<VScaling>(v.Denoiser.Scaling);
            Assert.IsType<EpsScaling>(sameWeightsEps.Denoiser.Scaling);

            using var result = Plan(v).Run();
            Assert.Equal(new long[] { 1, 3, 32, 32 }, result.Images.shape);
            using (var finite = result.Images.isfinite().all()) Assert.True(finite.item<bool>());
            using var vLatents = Plan(v).RunLatents();
            using var epsLatents = Plan(sameWeightsEps).RunLatents();
            using (var same = vLatents.eq(epsLatents).all()) Assert.False(same.item<bool>(), "the v config sampled like the eps config");
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void A_saved_v_model_loads_back_as_v_without_being_told_its_config()
    {
        var path = TempPath();
        try
        {
            using var model = SdxlModel.Create(TinyModels.Base with { Scaling = new VScaling() });
            model.Save(path, ScalarType.Float32);
            using var loaded = SdxlModel.Load(path);
            Assert.Equal(new VScaling(), loaded.Config.Scaling);
            Assert.Equal(SdxlModelConfigJson.Serialize(model.Config), SdxlModelConfigJson.Serialize(loaded.Config));
            using var a = Plan(model).RunLatents();
            using var b = Plan(loaded).RunLatents();
            using (var same = a.eq(b).all()) Assert.True(same.item<bool>());
        }
        finally { File.Delete(path); }
    }

    public static IEnumerable<object[]> Scalings => ComponentRegistry.BuiltIns.Names(ComponentKind.DenoiserScaling).Select(n => new object[] { n });

    [Theory]
    [MemberData(nameof(Scalings))]
    public void The_config_json_stores_the_scaling_by_its_registry_name(string name)
    {
        var config = TinyModels.Base with { Scaling = ComponentRegistry.BuiltIns.Scaling(name) };
        var json = SdxlModelConfigJson.Serialize(config);
        Assert.Contains($"\"Scaling\":\"{name}\"", json);
        var back = SdxlModelConfigJson.Deserialize(json);
        Assert.Equal(config.Scaling, back.Scaling);
        Assert.Equal(json, SdxlModelConfigJson.Serialize(back));
    }

    [Fact]
    public void A_config_without_a_scaling_is_eps_and_unknown_or_unregistered_scalings_fail_with_the_valid_names()
    {
        var json = SdxlModelConfigJson.Serialize(TinyModels.Base);
        Assert.Contains("\"Scaling\":\"eps\"", json);
        Assert.Equal(new EpsScaling(), SdxlModelConfigJson.Deserialize(json.Replace(",\"Scaling\":\"eps\"", "")).Scaling);

        var unknown = Assert.Throws<UnknownComponentException>(() => SdxlModelConfigJson.Deserialize(json.Replace("\"Scaling\":\"eps\"", "\"Scaling\":\"x0\"")));
        Assert.Contains("valid: edm, eps, v, v_edm_cnoise", unknown.Message);
        var unregistered = Assert.Throws<ArgumentException>(() => SdxlModelConfigJson.Serialize(TinyModels.Base with { Scaling = new EDMScaling(0.7) }));
        Assert.Contains("not registered", unregistered.Message);
    }

    [Fact]
    public void A_plugins_scaling_round_trips_through_the_registry_that_holds_it()
    {
        var builder = new ComponentRegistry.Builder(ComponentRegistry.BuiltIns, "test plugin");
        builder.Register(ComponentKind.DenoiserScaling, "edm_sd1", new EDMScaling(1.0), "EDM with sigma_data 1");
        var registry = builder.Current;
        var config = TinyModels.Base with { Scaling = new EDMScaling(1.0) };
        var back = SdxlModelConfigJson.Deserialize(SdxlModelConfigJson.Serialize(config, registry), registry);
        Assert.Equal(new EDMScaling(1.0), back.Scaling);
    }
}
