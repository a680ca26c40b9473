using Pipeline.Checkpoints;
using Pipeline.Components;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Stages;

public class TextToImageTests
{
    static GenerationSettings Settings => new("a red circle on a blue background", Width: 32, Height: 40, Steps: 4, CfgScale: 2.0, Seed: 11);

    [Fact]
    public void Same_seed_gives_bit_identical_latents_and_another_seed_does_not()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        using var a = TextToImage.Latents(model, ComponentRegistry.BuiltIns, Settings);
        using var b = TextToImage.Latents(model, ComponentRegistry.BuiltIns, Settings);
        using var c = TextToImage.Latents(model, ComponentRegistry.BuiltIns, Settings with { Seed = 12 });
        Assert.Equal(new long[] { 1, 4, 5, 4 }, a.shape);
        Assert.True(a.eq(b).all().item<bool>());
        Assert.False(a.eq(c).all().item<bool>());
    }

    [Fact]
    public void Text_to_image_decodes_to_images_with_parameters_and_leaves_no_tensors_behind()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        using (var warm = TextToImage.Run(model, ComponentRegistry.BuiltIns, Settings with { BatchSize = 2, NegativePrompt = "green" })) { }
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var result = TextToImage.Run(model, ComponentRegistry.BuiltIns, Settings with { BatchSize = 2, NegativePrompt = "green" }))
        {
            Assert.Equal(new long[] { 2, 3, 40, 32 }, result.Images.shape);
            using (var min = result.Images.min()) Assert.InRange(min.item<float>(), 0f, 1f);
            using (var max = result.Images.max()) Assert.InRange(max.item<float>(), 0f, 1f);
            Assert.Equal(2, result.Parameters.Count);
            Assert.Equal("green", result.Parameters[1].NegativePrompt);
            Assert.Equal("1", result.Parameters[1].Extra!["Batch index"]);
        }
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Unknown_sampler_and_bad_settings_fail_before_any_work_with_the_valid_options()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var ex = Assert.Throws<UnknownComponentException>(() => TextToImage.Latents(model, ComponentRegistry.BuiltIns, Settings with { Sampler = "eulr" }));
        Assert.Contains("valid: dpmpp_2m, dpmpp_2s_ancestral, euler", ex.Message);
        var bad = Assert.Throws<ArgumentException>(() => TextToImage.Latents(model, ComponentRegistry.BuiltIns, Settings with { Width = 30, Steps = 0 }));
        Assert.Contains("width 30 must be a positive multiple of 8", bad.Message);
        Assert.Contains("steps 0", bad.Message);
    }

    [Fact]
    public void A_saved_model_loads_back_unchanged_in_the_single_file_layout()
    {
        var path = Path.Combine(Path.GetTempPath(), $"tiny-{Guid.NewGuid():N}.safetensors");
        try
        {
            using var model = SdxlModel.Create(TinyModels.Base);
            model.Save(path, ScalarType.Float32);
            using (var file = SafeTensorsFile.Open(path))
            {
                Assert.Equal(SdxlModelKind.Base, CheckpointLayout.Detect(file));
                Assert.Contains(file.Entries.Keys, k => k.StartsWith("model.diffusion_model.input_blocks.0.0.weight"));
                Assert.Contains(file.Entries.Keys, k => k.StartsWith("first_stage_model.decoder.conv_out.weight"));
                Assert.Contains(file.Entries.Keys, k => k.StartsWith("conditioner.embedders.1.model.text_projection"));
            }
            using var loaded = SdxlModel.Load(path, TinyModels.Base);
            using var a = TextToImage.Latents(model, ComponentRegistry.BuiltIns, Settings);
            using var b = TextToImage.Latents(loaded, ComponentRegistry.BuiltIns, Settings);
            Assert.True(a.eq(b).all().item<bool>());
            Assert.NotNull(loaded.Hash);

            var wrongKind = Assert.Throws<ArgumentException>(() => SdxlModel.Load(path, TinyModels.Refiner));
            Assert.Contains("base", wrongKind.Message);
            var wrongShape = Assert.Throws<StateDictMismatchException>(() => SdxlModel.Load(path, TinyModels.Base with
            {
                UNet = TinyModels.Base.UNet with { ModelChannels = 64 },
            }));
            Assert.Contains("mis-shaped", wrongShape.Message);
        }
        finally { File.Delete(path); }
    }

    [Fact]
    public void The_refiner_runs_in_both_modes_and_handoff_keeps_the_base_trajectory()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        using var refiner = SdxlModel.Create(TinyModels.Refiner);
        var settings = Settings with { Steps = 10 };
        foreach (var mode in new[] { RefinerMode.Handoff, RefinerMode.SDEdit })
        {
            using var result = TextToImage.RunWithRefiner(model, refiner, ComponentRegistry.BuiltIns, settings, new RefinerSettings(mode, Steps: 4));
            Assert.Equal(new long[] { 1, 3, 40, 32 }, result.Images.shape);
            Assert.False(result.Latents.isnan().any().item<bool>());
            Assert.Equal(mode.ToString().ToLowerInvariant(), result.Parameters[0].Extra!["Refiner mode"]);
        }
        Assert.Throws<ArgumentException>(() => TextToImage.RunWithRefiner(model, model, ComponentRegistry.BuiltIns, settings, new RefinerSettings()));
        Assert.Contains("strength", Assert.Throws<ArgumentException>(() =>
            TextToImage.RunWithRefiner(model, refiner, ComponentRegistry.BuiltIns, settings, new RefinerSettings(RefinerMode.SDEdit, Strength: 1.5))).Message);
    }
}

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

public class ImageToImageTests
{
    [Fact]
    public void Img2img_runs_the_tail_of_the_schedule_and_is_deterministic()
    {
        Assert.Equal(6, ImageToImage.StartIndex(10, 0.4));
        Assert.Equal(0, ImageToImage.StartIndex(10, 1.0));
        Assert.Equal(9, ImageToImage.StartIndex(10, 0.01));
        Assert.Throws<ArgumentOutOfRangeException>(() => ImageToImage.StartIndex(10, 0));

        using var model = SdxlModel.Create(TinyModels.Base);
        using var image = rand(1, 3, 32, 24, generator: new Generator(3));
        var settings = new GenerationSettings("a blue square", Steps: 6, Seed: 2, CfgScale: 2);
        int calls = 0;
        using var a = ImageToImage.Run(model, ComponentRegistry.BuiltIns, image, settings, 0.5, new Pipeline.Diffusion.Sampling.SamplingOptions(_ => calls++));
        using var b = ImageToImage.Run(model, ComponentRegistry.BuiltIns, image, settings, 0.5);
        Assert.Equal(3, calls);
        Assert.Equal(new long[] { 1, 3, 32, 24 }, a.Images.shape);
        Assert.True(a.Latents.eq(b.Latents).all().item<bool>());
        Assert.Equal(24, a.Parameters[0].Width);
    }
}

public class BatchGenerationTests
{
    [Fact]
    public void A_one_row_batch_equals_text_to_image_and_rows_keep_their_own_prompts()
    {
        using var model = SdxlModel.Create(TinyModels.Base);
        var settings = new GenerationSettings("a red circle", Width: 32, Height: 32, Steps: 3, CfgScale: 2, Seed: 4);
        var row = new SampleRequest("a red circle", new(32, 32), default, new(32, 32));
        using var single = BatchGeneration.Latents(model, ComponentRegistry.BuiltIns, new[] { row }, settings);
        using var reference = TextToImage.Latents(model, ComponentRegistry.BuiltIns, settings);
        Assert.True(single.eq(reference).all().item<bool>());

        using var mixed = BatchGeneration.Latents(model, ComponentRegistry.BuiltIns, new[] { row, row with { Prompt = "a blue square" } }, settings);
        Assert.Equal(2, mixed.shape[0]);
        Assert.False(mixed[0].eq(mixed[1]).all().item<bool>());
        Assert.Throws<ArgumentException>(() => BatchGeneration.Latents(model, ComponentRegistry.BuiltIns,
            new[] { row, row with { TargetSize = new(40, 32) } }, settings));
    }
}
