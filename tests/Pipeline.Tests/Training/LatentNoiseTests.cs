using Pipeline.Conditioning;
using Pipeline.Models.Vae;
using Pipeline.Training;
using Pipeline.Training.World;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary><see cref="VaeTrainingSettings.LatentNoise"/>: the decoder trained on noisy latents renders them closer to the clean image.</summary>
public class LatentNoiseTests(ITestOutputHelper output)
{
    static AutoencoderKLConfig Vae => new(EmbedDim: 4, Ch: 16, ChMult: [1, 1], NumResBlocks: 1, AttnResolutions: [], ZChannels: 4,
        DoubleZ: true, Resolution: 16, InChannels: 3, OutCh: 3) { NormGroups = 8 };

    static ShapeWorldData World(long seed) => new(ShapeWorldSettings.Base(seed, 8) with { Buckets = WorldBuckets.Single(16, 16) });

    static VaeTrainingSettings Settings(double noise) => new()
    {
        Steps = 150, LearningRate = 3e-3, WarmupSteps = 1, Seed = 4, KlWeight = 0, L2Weight = 1.0, LatentNoise = noise,
    };

    /// <summary>A VAE initialised from a fixed seed (the global generator restored afterwards).</summary>
    static AutoencoderKL Initial()
    {
        var rng = get_rng_state();
        try
        {
            manual_seed(20261204);
            return new AutoencoderKL(Vae);
        }
        finally
        {
            set_rng_state(rng);
        }
    }

    /// <summary>The noise is relative to the latents' spread: a VAE whose latents are k times larger (encoder mean and
    /// standard deviation scaled, the decoder's first layer divided by k: the same autoencoder) sees the same loss with
    /// latent noise, so an encoder cannot escape the noise by growing its latents.</summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.3)]
    public void Scaling_the_latent_space_leaves_the_loss_unchanged(double noise)
    {
        const double k = 8;
        using var plain = Initial();
        using var scaled = Initial();
        using (no_grad())
        {
            var p = scaled.named_parameters().ToDictionary(np => np.name, np => np.parameter);
            long e = p["post_quant_conv.weight"].shape[1];
            p["quant_conv.weight"][..(int)e].mul_(k);
            p["quant_conv.bias"][..(int)e].mul_(k);
            p["quant_conv.bias"][(int)e..].add_(2 * Math.Log(k));   // log-variance: the standard deviation grows k times too
            p["post_quant_conv.weight"].div_(k);
        }
        double Loss(AutoencoderKL vae)
        {
            using var trainer = new VaeTrainer(vae, World(3), Settings(noise) with { Steps = 1 });
            return trainer.TrainStep();
        }
        double a = Loss(plain), b = Loss(scaled);
        output.WriteLine($"noise {noise}: loss {a:F6} vs latents x{k}: {b:F6}");
        Assert.True(Math.Abs(a - b) <= 1e-4 * a, $"{a} vs {b}");
    }

    /// <summary>The noise reaches the decoder: the shipped VAE's first-step loss on the 64×64 world grows with it
    /// (its decoder renders noisy latents worse than clean ones), and the same seed gives the same loss.</summary>
    [Fact]
    public void The_shipped_decoder_renders_noisy_latents_worse()
    {
        using var model = Pipeline.Models.Bundles.SdxlModel.Load(Pipeline.Models.Bundles.EmbeddedModels.Base
            ?? throw new InvalidOperationException("the embedded default is missing"), dtype: ScalarType.Float32);
        var data = new ShapeWorldData(ShapeWorldSettings.Base(5, 8) with { Buckets = WorldBuckets.Single(64, 64) });
        double Loss(double noise)
        {
            var before = model.FirstStage.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
            try
            {
                using var trainer = new VaeTrainer(model.FirstStage, data, Settings(noise) with { Steps = 1, DecoderOnly = true, LearningRate = 1e-4 });
                return trainer.TrainStep();
            }
            finally
            {
                using (no_grad()) foreach (var (name, t) in model.FirstStage.state_dict()) t.copy_(before[name]);
                foreach (var t in before.Values) t.Dispose();
            }
        }
        double clean = Loss(0), noisy = Loss(0.3), again = Loss(0.3), louder = Loss(0.6);
        output.WriteLine($"first-step loss: clean {clean:F5}, latent noise 0.3 {noisy:F5} (again {again:F5}), 0.6 {louder:F5}");
        Assert.Equal(noisy, again);
        Assert.True(noisy > 1.1 * clean && louder > noisy, $"{clean} / {noisy} / {louder}");
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void Bad_latent_noise_is_refused(double noise)
    {
        using var vae = new AutoencoderKL(Vae);
        Assert.Contains("latent noise", Assert.Throws<ArgumentException>(() => new VaeTrainer(vae, World(1), Settings(noise))).Message);
    }
}
