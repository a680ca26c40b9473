using Pipeline.Adapters;
using Pipeline.Models.Bundles;
using Pipeline.Models.Unet;
using Pipeline.Tests.Goldens;
using Pipeline.Tests.Models;
using Xunit;

namespace Pipeline.Tests.Adapters;

/// <summary>The diffusers ↔ sgm UNet mapping, checked against the SDXL base manifest, and the flattened-name index of every config.</summary>
public class DiffusersUnetNamesTests
{
    static string Manifests => RepositoryPaths.FromEnvironment("PIPELINE_MANIFESTS", "tests/reference/manifests");

    [Fact]
    public void Every_tensor_of_the_SDXL_base_UNet_manifest_has_its_diffusers_name()
    {
        const string Prefix = "model.diffusion_model.";
        var keys = Manifest.Read(Path.Combine(Manifests, "sdxl_base_unet.tsv")).Keys.Select(k => k[Prefix.Length..]).ToList();
        Assert.Equal(1680, keys.Count);
        var blocks = DiffusersUnetNames.Blocks(UNetConfig.SdxlBase);
        var mapped = keys.ToDictionary(k => k, k => DiffusersUnetNames.ToDiffusers(blocks, k));
        Assert.Empty(mapped.Where(kv => kv.Value is null).Select(kv => kv.Key));
        var wrong = keys.Where(k => mapped[k] != SdxlDiffusersNames.Of(k)).Select(k => $"{k}: {mapped[k]} (expected {SdxlDiffusersNames.Of(k)})").ToList();
        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Take(20)));
        Assert.Equal(keys.Count, mapped.Values.Distinct().Count());

        Assert.Equal("down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.weight", mapped["input_blocks.4.1.transformer_blocks.0.attn1.to_q.weight"]);
        Assert.Equal("down_blocks.2.resnets.0.conv_shortcut.weight", mapped["input_blocks.7.0.skip_connection.weight"]);
        Assert.Equal("down_blocks.1.downsamplers.0.conv.weight", mapped["input_blocks.6.0.op.weight"]);
        Assert.Equal("mid_block.resnets.1.conv2.weight", mapped["middle_block.2.out_layers.3.weight"]);
        Assert.Equal("up_blocks.0.attentions.2.transformer_blocks.9.ff.net.2.weight", mapped["output_blocks.2.1.transformer_blocks.9.ff.net.2.weight"]);
        Assert.Equal("up_blocks.0.upsamplers.0.conv.weight", mapped["output_blocks.2.2.conv.weight"]);
        Assert.Equal("up_blocks.1.upsamplers.0.conv.bias", mapped["output_blocks.5.2.conv.bias"]);
        Assert.Equal("up_blocks.2.resnets.2.time_emb_proj.weight", mapped["output_blocks.8.0.emb_layers.1.weight"]);
        Assert.Equal("add_embedding.linear_2.weight", mapped["label_emb.0.2.weight"]);
        Assert.Equal("time_embedding.linear_1.bias", mapped["time_embed.0.bias"]);
        Assert.Equal("conv_in.weight", mapped["input_blocks.0.0.weight"]);
        Assert.Equal("conv_out.weight", mapped["out.2.weight"]);
    }

    [Theory]
    [InlineData("sdxl-base")]
    [InlineData("sdxl-refiner")]
    [InlineData("tiny-base")]
    [InlineData("tiny-refiner")]
    public void Every_UNet_tensor_of_every_config_maps_one_to_one(string config)
    {
        using var model = SdxlModel.Create(SdxlModelConfig.ByName(config), TorchSharp.torch.META);
        var blocks = DiffusersUnetNames.Blocks(model.Config.UNet);
        var keys = model.NamedTensors().Select(kv => kv.Key).Where(k => k.StartsWith("model.diffusion_model.", StringComparison.Ordinal))
            .Select(k => k["model.diffusion_model.".Length..]).ToList();
        var mapped = keys.Select(k => DiffusersUnetNames.ToDiffusers(blocks, k)).ToList();
        Assert.DoesNotContain(null, mapped);
        Assert.Equal(keys.Count, mapped.Distinct().Count());
        // The index (sgm and diffusers names, both text encoders) builds without a flattening collision.
        var index = AdapterTargetIndex.For(model);
        Assert.True(index.Count > keys.Count);
    }

    [Fact]
    public void The_tiny_base_layout_maps_as_its_plan_says()
    {
        var blocks = DiffusersUnetNames.Blocks(Pipeline.Tests.Stages.TinyModels.Base.UNet);
        Assert.Equal("down_blocks.0.resnets.0.conv1", DiffusersUnetNames.ToDiffusers(blocks, "input_blocks.1.0.in_layers.2"));
        Assert.Equal("down_blocks.0.downsamplers.0.conv", DiffusersUnetNames.ToDiffusers(blocks, "input_blocks.2.0.op"));
        Assert.Equal("down_blocks.1.attentions.0.proj_in", DiffusersUnetNames.ToDiffusers(blocks, "input_blocks.3.1.proj_in"));
        Assert.Equal("up_blocks.0.upsamplers.0.conv", DiffusersUnetNames.ToDiffusers(blocks, "output_blocks.1.2.conv"));
        Assert.Equal("up_blocks.1.resnets.1.conv_shortcut", DiffusersUnetNames.ToDiffusers(blocks, "output_blocks.3.0.skip_connection"));
        Assert.Null(DiffusersUnetNames.ToDiffusers(blocks, "input_blocks.1.0.nothing"));
        Assert.Null(DiffusersUnetNames.ToDiffusers(blocks, "input_blocks.17.0.op"));
    }
}
