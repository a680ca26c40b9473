using Pipeline.Models.Bundles;
using Pipeline.Models.Vae;
using Pipeline.Runtime;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Runtime;

/// <summary>ChannelsLast.Of keeps the values and only changes the strides; the frozen VAE encoder fed channels-last is as
/// accurate as fed contiguous (both measured against the same encoder in float64).</summary>
public sealed class ChannelsLastTests
{
    [Fact]
    public void Of_keeps_every_value_and_lays_the_channels_innermost()
    {
        using var scope = NewDisposeScope();
        var x = arange(2 * 3 * 4 * 5, ScalarType.Float32).reshape(2, 3, 4, 5);
        var packed = ChannelsLast.Of(x);
        Assert.Equal(x.shape, packed.shape);
        Assert.Equal(new long[] { 60, 1, 15, 3 }, packed.stride());
        Assert.True(ChannelsLast.Is(packed));
        Assert.False(ChannelsLast.Is(x));
        Assert.True(x.equal(packed).all().item<bool>());
        Assert.Equal(new long[] { 60, 20, 5, 1 }, x.stride());   // the input is untouched
        Assert.Throws<ArgumentException>(() => ChannelsLast.Of(zeros(3, 4, 5)));
    }

    [Fact]
    public void The_encoder_fed_channels_last_is_as_accurate_as_fed_contiguous()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var config = SdxlModelConfig.TinyBase.Vae;
        using var generator = new Generator(20261204);
        using var vae = new AutoencoderKL(config);
        using var exact = new AutoencoderKL(config, dtype: ScalarType.Float64);
        var weights = vae.state_dict();
        foreach (var (name, p) in vae.named_parameters()) p.copy_(randn(p.shape, generator: generator) * 0.2);
        foreach (var (name, p) in exact.named_parameters()) p.copy_(weights[name]);
        var images = rand(4, 3, 32, 48, generator: generator) * 2 - 1;
        var reference = exact.EncodeMoments(images.to(ScalarType.Float64));
        var contiguousError = (vae.EncodeMoments(images).to(ScalarType.Float64) - reference).abs().max().item<double>();
        var channelsLastError = (vae.EncodeMoments(ChannelsLast.Of(images)).to(ScalarType.Float64) - reference).abs().max().item<double>();
        double scale = reference.abs().max().item<double>();
        // float32's own error here is about 1e-6 of the moments' scale; the channels-last kernels sum in another order,
        // so their error is of the same size (within 4x of the contiguous kernels'), never a layout mix-up (which is O(scale)).
        Assert.InRange(contiguousError, 0, 1e-4 * scale);
        Assert.InRange(channelsLastError, 0, Math.Max(4 * contiguousError, 1e-6 * scale));
    }
}
