using Pipeline.Models.Vae;
using Pipeline.Tests.Goldens;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

public class VaeBehaviourTests
{
    static AutoencoderKL LoadVae()
    {
        using var g = GoldenSet.Sgm.Open(GoldenSet.Sgm.Cases.First(c => c.StartsWith("vae_", StringComparison.Ordinal)));
        return VaeParityTests.LoadModel(g);
    }

    [Fact]
    public void Vae_is_float32_by_default_and_casts_its_inputs()
    {
        var previous = get_default_dtype();
        try
        {
            set_default_dtype(ScalarType.BFloat16);
            using var meta = new AutoencoderKL(AutoencoderKLConfig.Sdxl, META);
            Assert.Equal(ScalarType.Float32, meta.ComputeDType);
        }
        finally { set_default_dtype(previous); }

        using var vae = LoadVae();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var latents = randn(1, vae.Config.EmbedDim, 6, 8).to(ScalarType.BFloat16);
        Assert.Equal(ScalarType.Float32, vae.Decode(latents).dtype);
    }

    [Fact]
    public void A_freshly_built_vae_computes_finite_values()
    {
        using var g = GoldenSet.Sgm.Open(GoldenSet.Sgm.Cases.First(c => c.StartsWith("vae_", StringComparison.Ordinal)));
        using var vae = new AutoencoderKL(SgmParams.Vae(g.Json.GetProperty("params")));
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var image = vae.call(rand(1, vae.Config.InChannels, 16, 16) * 2 - 1);
        Assert.True(image.isfinite().all().item<bool>(), "GroupNorm parameters must start at 1 / 0, not uninitialised memory");
    }

    [Fact]
    public void Sub_batches_and_first_stage_scaling_match_sgm_semantics()
    {
        using var vae = LoadVae();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var gen = new Generator(9);
        var images = rand(3, vae.Config.InChannels, 16, 24, generator: gen) * 2 - 1;
        var latents = randn(3, vae.Config.EmbedDim, 4, 6, generator: gen);

        using var whole = vae.Encode(images);
        using var parts = vae.Encode(images, samplesAtATime: 2);
        Assert.True((whole.Mean - parts.Mean).abs().max().item<float>() < 1e-5f);
        Assert.True((vae.Decode(latents) - vae.Decode(latents, samplesAtATime: 1)).abs().max().item<float>() < 1e-5f);

        // encode_first_stage = scale · z; decode_first_stage = decode(z / scale).
        var encoded = vae.EncodeFirstStage(images);
        Assert.True((encoded - whole.Mean * vae.Config.ScaleFactor).abs().max().item<float>() < 1e-6f);
        var decoded = vae.DecodeFirstStage(latents);
        Assert.True((decoded - vae.Decode(latents / vae.Config.ScaleFactor)).abs().max().item<float>() < 1e-5f);

        // Sampling draws on the CPU from the generator: same seed, same latent; mean + std · noise.
        var a = vae.EncodeFirstStage(images, new Generator(4));
        var b = vae.EncodeFirstStage(images, new Generator(4));
        Assert.Equal(0f, (a - b).abs().max().item<float>());
        var noise = randn(whole.Mean.shape, generator: new Generator(4));
        Assert.True((a - (whole.Mean + whole.Std * noise) * vae.Config.ScaleFactor).abs().max().item<float>() < 1e-6f);
    }

    [Fact]
    public void Posterior_clamps_logvar_and_its_kl_is_zero_for_a_standard_normal()
    {
        using var scope = NewDisposeScope();
        using var standard = new DiagonalGaussianDistribution(zeros(2, 8, 3, 3));
        Assert.Equal(0f, standard.Kl().abs().max().item<float>());
        using var extreme = new DiagonalGaussianDistribution(cat(new[] { zeros(1, 4, 2, 2), full(new long[] { 1, 4, 2, 2 }, 100f) }, 1));
        Assert.Equal(20f, extreme.LogVar.max().item<float>());
        Assert.Throws<ArgumentException>(() => new DiagonalGaussianDistribution(zeros(1, 3, 2, 2)));
        Assert.Throws<ArgumentException>(() => standard.Sample(zeros(1, 4, 3, 3)));
    }

    [Fact]
    public void Bad_inputs_and_configs_are_named()
    {
        using var vae = new AutoencoderKL(AutoencoderKLConfig.Sdxl, META);
        Assert.Contains("images must be", Assert.Throws<ArgumentException>(() => vae.Encode(empty(1, 4, 8, 8))).Message);
        Assert.Contains("latents must be", Assert.Throws<ArgumentException>(() => vae.Decode(empty(1, 3, 8, 8))).Message);
        Assert.Contains("samplesAtATime", Assert.Throws<ArgumentException>(() => vae.Decode(empty(2, 4, 8, 8, device: META), samplesAtATime: 0)).Message);
        var bad = AutoencoderKLConfig.Sdxl with { Ch = 100, ChMult = [] };
        var message = Assert.Throws<ArgumentException>(() => bad.Validate()).Message;
        Assert.Contains("Ch must", message);
        Assert.Contains("ChMult", message);
        Assert.Equal(AutoencoderKLConfig.Sdxl, AutoencoderKLConfig.Sdxl with { ChMult = [1, 2, 4, 4] });
        Assert.Equal(8, AutoencoderKLConfig.Sdxl.DownscaleFactor);
    }
}
