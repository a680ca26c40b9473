using Pipeline.Models.Bundles;
using Pipeline.Models.Vae;
using TorchSharp.Modules;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>
/// The VAE's GroupNorm group count (<see cref="AutoencoderKLConfig.NormGroups"/>): sgm's 32 by default and for every
/// stored config without it; the embedded default's 32-channel VAE uses 8 (4 channels per group, as SDXL's 128-channel
/// VAE has), because with one channel per group a flat image's colour cannot pass a GroupNorm.
/// </summary>
public sealed class VaeNormGroupsTests
{
    [Fact]
    public void Sgm_configs_keep_32_groups_and_the_tiny_vae_uses_8()
    {
        Assert.Equal(32, AutoencoderKLConfig.Sdxl.NormGroups);
        Assert.Equal(32, SdxlModelConfig.SdxlBase.Vae.NormGroups);
        Assert.Equal(8, SdxlModelConfig.TinyBase.Vae.NormGroups);
        Assert.Equal(8, SdxlModelConfig.TinyRefiner.Vae.NormGroups);
        using var vae = new AutoencoderKL(SdxlModelConfig.TinyBase.Vae, META);
        var groups = vae.named_modules().Select(m => m.module).OfType<GroupNorm>().Select(g => g.num_groups).Distinct().ToList();
        Assert.Equal(new long[] { 8 }, groups);
    }

    [Fact]
    public void A_stored_config_without_the_group_count_reads_as_sgm_32_and_the_count_round_trips()
    {
        var json = SdxlModelConfigJson.Serialize(SdxlModelConfig.TinyBase);
        Assert.Contains("\"NormGroups\":8", json);
        Assert.Equal(8, SdxlModelConfigJson.Deserialize(json).Vae.NormGroups);
        var old = json.Replace(",\"NormGroups\":8", "").Replace(",\"NormGroups\":32", "");   // the VAE's and the UNet's
        Assert.DoesNotContain("NormGroups", old);
        Assert.Equal(32, SdxlModelConfigJson.Deserialize(old).Vae.NormGroups);
        Assert.NotEqual(SdxlModelConfig.TinyBase.Vae, SdxlModelConfig.TinyBase.Vae with { NormGroups = 32 });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-4)]
    [InlineData(3)]     // 32 channels do not split into 3 groups
    public void A_group_count_that_does_not_divide_the_channels_is_refused(int groups)
    {
        var e = Assert.Throws<ArgumentException>(() => (SdxlModelConfig.TinyBase.Vae with { NormGroups = groups }).Validate());
        Assert.Contains("NormGroups", e.Message);
    }

    /// <summary>
    /// The mechanism behind the old default's speck: a GroupNorm with one channel per group subtracts each channel's own
    /// mean, so every flat activation — whatever its colour — comes out as the same constant (the norm's bias); only a
    /// structure painted into the image (a speck, a ring) carries the colour on. With four channels per group the
    /// channels' differences survive, and flat inputs of different colours stay apart.
    /// </summary>
    [Fact]
    public void One_channel_per_group_erases_a_flat_activations_colour_and_four_channels_keep_it()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var generator = new Generator(7);
        Tensor Flat() => randn(new long[] { 1, 32, 1, 1 }, generator: generator).expand(1, 32, 16, 16).contiguous();
        var (a, b) = (Flat(), Flat());
        double Difference(int groups)
        {
            using var norm = Normalize.Create(32, groups: groups);
            return (norm.call(a) - norm.call(b)).abs().max().item<float>();
        }
        // With one channel per group all that is left is float rounding of the mean, amplified by 1/√eps.
        double erased = Difference(32), kept = Difference(8);
        Assert.True(kept > 0.5, $"8 groups: flat inputs differ by only {kept} after the norm");
        Assert.True(erased < 1e-3 * kept, $"32 groups: flat inputs still differ by {erased} after the norm (8 groups: {kept})");
    }
}
