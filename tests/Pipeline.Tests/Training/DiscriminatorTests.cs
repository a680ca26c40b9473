using Pipeline.Models.Vae;
using Pipeline.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary>The LDM autoencoder recipe's patch discriminator and the VAE trainer's adversarial term.</summary>
public sealed class DiscriminatorTests
{
    static AutoencoderKLConfig Vae => new(EmbedDim: 4, Ch: 32, ChMult: [1, 1, 1, 1], NumResBlocks: 1, AttnResolutions: [], ZChannels: 4,
        DoubleZ: true, Resolution: 32, InChannels: 3, OutCh: 3, NormGroups: 8);

    static VaeTrainingSettings Adversarial(long steps, long start) => new()
    {
        Steps = steps, LearningRate = 1e-3, WarmupSteps = 1, Seed = 4, KlWeight = 0, L2Weight = 1.0, DecoderOnly = true,
        DiscriminatorWeight = 0.5, DiscriminatorStart = start, DiscriminatorLearningRate = 1e-3,
    };

    static AutoencoderKL NewVae(long seed)
    {
        var vae = new AutoencoderKL(Vae);
        using var generator = new Generator((ulong)seed);
        using var noGrad = no_grad();
        foreach (var p in vae.parameters()) p.copy_(randn(p.shape, generator: generator) * 0.05);
        return vae;
    }

    [Fact]
    public void The_discriminator_scores_patches_starts_from_its_seed_and_has_the_hinge_loss()
    {
        using var scope = NewDisposeScope();
        using var a = new PatchDiscriminator(seed: 7);
        using var b = new PatchDiscriminator(seed: 7);
        using var c = new PatchDiscriminator(seed: 8);
        using var noGrad = no_grad();
        Assert.Equal(new long[] { 2, 1, 14, 14 }, a.call(zeros(2, 3, 64, 64)).shape);   // 64 → 32 → 16 → 15 → 14
        Assert.Equal(new long[] { 1, 1, 6, 6 }, a.call(zeros(1, 3, 32, 32)).shape);
        var pa = a.parameters().ToList();
        Assert.All(pa.Zip(b.parameters()), p => Assert.True(p.First.eq(p.Second).all().item<bool>()));
        Assert.Contains(pa.Zip(c.parameters()), p => !p.First.eq(p.Second).all().item<bool>());
        var firstConv = pa[0];
        Assert.InRange(firstConv.std().item<float>(), 0.015, 0.025);            // taming's N(0, 0.02)

        Assert.Equal(0.0, PatchDiscriminator.HingeLoss(full(4, 1f) * 2, full(4, 1f) * -2).item<float>(), 6);   // confident and right
        Assert.Equal(1.0, PatchDiscriminator.HingeLoss(zeros(4), zeros(4)).item<float>(), 6);                // undecided
        Assert.Equal(2.0, PatchDiscriminator.HingeLoss(full(4, -1f), full(4, 1f)).item<float>(), 6);          // wrong way round
        Assert.Throws<ArgumentOutOfRangeException>(() => new PatchDiscriminator(channels: 12));
        Assert.Throws<ArgumentOutOfRangeException>(() => new PatchDiscriminator(layers: 0));
    }

    [Fact]
    public void The_adversarial_term_trains_with_a_bfloat16_compute_copy()
    {
        // The adaptive weight reads the gradients at the compute copy's last layer, bfloat16 there (it used to fail with
        // "Single is not compatible with BFloat16" on the first adversarial step).
        var data = new FakeTrainingData(4, 32, 32, seed: 9, repeatFirstBatch: true);
        using var vae = NewVae(1);
        var before = vae.named_parameters().Single(np => np.name == "decoder.conv_out.weight").parameter.detach().clone();
        using var trainer = new VaeTrainer(vae, data, Adversarial(steps: 2, start: 0) with { ComputeDType = ScalarType.BFloat16 });
        var losses = new List<double>();
        trainer.Train(new TrainingCallbacks(p => losses.Add(p.Loss)));
        Assert.Equal(2, losses.Count);
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.False(before.eq(vae.named_parameters().Single(np => np.name == "decoder.conv_out.weight").parameter).all().item<bool>());
    }

    [Fact]
    public void The_discriminator_waits_for_its_start_then_learns_and_resume_is_exact()
    {
        var data = new FakeTrainingData(4, 32, 32, seed: 9, repeatFirstBatch: true);
        List<Tensor> Snapshot(nn.Module m) => m.parameters().Select(p => p.detach().clone()).ToList();
        static bool Same(List<Tensor> x, List<Tensor> y) => x.Zip(y).All(p => p.First.eq(p.Second).all().item<bool>());

        using (var vae = NewVae(1))
        using (var trainer = new VaeTrainer(vae, data, Adversarial(steps: 4, start: 2)))
        {
            var initial = Snapshot(trainer.Discriminator!);
            trainer.Train(stopAt: 2);
            Assert.True(Same(initial, Snapshot(trainer.Discriminator!)), "the discriminator trained before its start");
            trainer.Train();
            Assert.False(Same(initial, Snapshot(trainer.Discriminator!)), "the discriminator did not train after its start");
        }

        // The adversarial term changes the VAE's update once it counts.
        double LastLoss(double weight)
        {
            using var vae = NewVae(1);
            using var trainer = new VaeTrainer(vae, data, Adversarial(3, 1) with { DiscriminatorWeight = weight });
            double loss = double.NaN;
            trainer.Train(new TrainingCallbacks(p => loss = p.Loss));
            return loss;
        }
        Assert.NotEqual(LastLoss(0), LastLoss(0.5));

        var dir = Directory.CreateTempSubdirectory("vae-gan-resume").FullName;
        try
        {
            string straight = Path.Combine(dir, "a"), half = Path.Combine(dir, "h"), resumed = Path.Combine(dir, "b"), plain = Path.Combine(dir, "p");
            using (var v = NewVae(2)) using (var t = new VaeTrainer(v, data, Adversarial(4, 1))) { t.Train(); t.SaveState(straight); }
            using (var v = NewVae(2)) using (var t = new VaeTrainer(v, data, Adversarial(4, 1))) { t.Train(stopAt: 2); t.SaveState(half); }
            using (var v = NewVae(3)) using (var t = new VaeTrainer(v, data, Adversarial(4, 1))) { t.LoadState(half); t.Train(); t.SaveState(resumed); }
            Assert.True(File.ReadAllBytes(straight).AsSpan().SequenceEqual(File.ReadAllBytes(resumed)), "resumed adversarial training differs");

            using (var v = NewVae(2)) using (var t = new VaeTrainer(v, data, Adversarial(1, 0) with { DiscriminatorWeight = 0 })) { t.Train(); t.SaveState(plain); }
            using (var v = NewVae(2)) using (var t = new VaeTrainer(v, data, Adversarial(4, 1)))
                Assert.Contains("discriminator", Assert.ThrowsAny<Exception>(() => t.LoadState(plain)).Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Bad_discriminator_settings_are_named()
    {
        string Problem(VaeTrainingSettings s) => Assert.Throws<ArgumentException>(() => s.Validate()).Message;
        Assert.Contains("discriminator weight", Problem(new VaeTrainingSettings { DiscriminatorWeight = -1 }));
        Assert.Contains("discriminator start", Problem(new VaeTrainingSettings { DiscriminatorStart = -1 }));
        Assert.Contains("discriminator learning rate", Problem(new VaeTrainingSettings { DiscriminatorLearningRate = 0 }));
        Assert.Contains("discriminator channels", Problem(new VaeTrainingSettings { DiscriminatorChannels = 20 }));
        Assert.Contains("discriminator layers", Problem(new VaeTrainingSettings { DiscriminatorLayers = 5 }));
    }
}
