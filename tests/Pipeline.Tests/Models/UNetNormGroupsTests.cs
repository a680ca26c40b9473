using Pipeline.Models.Bundles;
using Pipeline.Models.Unet;
using TorchSharp;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>
/// The UNet's GroupNorm group count (<see cref="UNetConfig.NormGroups"/>): sgm's 32 by default and for every stored config
/// without it. Narrow UNets (the embedded default has 32 channels at its first level) may use fewer, as the VAE does; the
/// checkpoint layout does not change with it.
/// </summary>
public sealed class UNetNormGroupsTests
{
    static UNetConfig Tiny(int groups) => SdxlModelConfig.TinyBase.UNet with { NormGroups = groups };

    [Fact]
    public void Sgm_configs_keep_32_groups_and_every_unet_norm_follows_the_config()
    {
        Assert.Equal(32, UNetConfig.SdxlBase.NormGroups);
        Assert.Equal(32, SdxlModelConfig.SdxlRefiner.UNet.NormGroups);
        using var unet = new UNetModel(Tiny(8), META);
        var norms = unet.named_modules().Select(m => m.module).ToList();
        Assert.Equal(new long[] { 8 }, norms.OfType<GroupNorm>().Select(g => g.num_groups).Distinct().ToList());
        Assert.NotEmpty(norms.OfType<GroupNorm32>());
        using var sgm = new UNetModel(Tiny(32), META);
        Assert.Equal(new long[] { 32 }, sgm.named_modules().Select(m => m.module).OfType<GroupNorm>().Select(g => g.num_groups).Distinct().ToList());
    }

    [Fact]
    public void The_tiny_configs_and_the_shipped_weights_use_8_groups()
    {
        Assert.Equal(8, SdxlModelConfig.TinyBase.UNet.NormGroups);
        Assert.Equal(8, SdxlModelConfig.TinyRefiner.UNet.NormGroups);
        foreach (var path in new[] { EmbeddedModels.Base, EmbeddedModels.Refiner })
        {
            Assert.NotNull(path);
            var stored = SdxlModel.ReadConfig(path!);
            Assert.Equal(8, stored.UNet.NormGroups);
            Assert.Equal(8, stored.Vae.NormGroups);
        }
    }

    [Fact]
    public void The_group_count_changes_the_output_and_not_the_checkpoint_layout()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var a = new UNetModel(Tiny(32));
        using var b = new UNetModel(Tiny(8));
        var layoutA = a.state_dict().Select(kv => (kv.Key, string.Join("x", kv.Value.shape))).ToList();
        var layoutB = b.state_dict().Select(kv => (kv.Key, string.Join("x", kv.Value.shape))).ToList();
        Assert.Equal(layoutA, layoutB);
        b.load_state_dict(a.state_dict());
        var g = new Generator(3);
        var x = randn(new long[] { 1, 4, 8, 8 }, generator: g) + 2 * randn(new long[] { 1, 4, 1, 1 }, generator: g);
        var t = tensor(new long[] { 500 });
        var context = randn(new long[] { 1, 77, a.Config.ContextDim![0] }, generator: g);
        var y = randn(new long[] { 1, a.Config.AdmInChannels!.Value }, generator: g);
        var outA = a.Forward(x, t, context, y);
        var outB = b.Forward(x, t, context, y);
        Assert.True((outA - outB).abs().max().item<float>() > 1e-3, "8 and 32 groups gave the same output");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    [InlineData(3)]     // 32 channels do not split into 3 groups
    public void A_group_count_that_does_not_divide_the_channels_is_refused(int groups)
    {
        var e = Assert.Throws<ArgumentException>(() => Tiny(groups).Validate());
        Assert.Contains("NormGroups", e.Message);
    }

    [Fact]
    public void A_stored_config_without_the_unets_group_count_reads_as_sgm_32_and_the_count_round_trips()
    {
        var config = SdxlModelConfig.TinyBase with { UNet = Tiny(8) };
        var json = SdxlModelConfigJson.Serialize(config);
        Assert.Equal(8, SdxlModelConfigJson.Deserialize(json).UNet.NormGroups);
        Assert.Equal(config.UNet, SdxlModelConfigJson.Deserialize(json).UNet);
        var old = json.Replace(",\"NormGroups\":8", "").Replace("\"NormGroups\":8,", "");
        Assert.Equal(32, SdxlModelConfigJson.Deserialize(old).UNet.NormGroups);
        Assert.NotEqual(config.UNet, Tiny(32));
        Assert.Contains("NormGroups = 8", config.UNet.ToString());
    }
}
