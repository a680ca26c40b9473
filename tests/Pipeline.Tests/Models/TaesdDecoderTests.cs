using Pipeline.Models.Vae;
using Pipeline.Training;
using Pipeline.Tests.Training;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>The TAESD-layout tiny decoder: the released file's names and shapes, the forward, distillation training.</summary>
public sealed class TaesdDecoderTests
{
    /// <summary>
    /// The names and shapes of madebyollin's TAESD/TAESDXL decoder as its definition builds them (taesd.py: Clamp, conv,
    /// ReLU, 3 × (3 Blocks, Upsample, bias-free conv), Block, conv; a Block's convs at conv.0/2/4).
    /// </summary>
    static IEnumerable<(string Name, long[] Shape)> ReleasedLayout(int c = 64, int latent = 4)
    {
        yield return ("1.weight", new long[] { c, latent, 3, 3 });
        yield return ("1.bias", new long[] { c });
        int index = 3;
        IEnumerable<(string, long[])> Block(int i) => new[] { 0, 2, 4 }.SelectMany(k => new (string, long[])[]
            { ($"{i}.conv.{k}.weight", new long[] { c, c, 3, 3 }), ($"{i}.conv.{k}.bias", new long[] { c }) });
        for (int stage = 0; stage < 3; stage++)
        {
            for (int b = 0; b < 3; b++) foreach (var e in Block(index++)) yield return e;
            index++;   // Upsample
            yield return ($"{index++}.weight", new long[] { c, c, 3, 3 });
        }
        foreach (var e in Block(index++)) yield return e;
        yield return ($"{index}.weight", new long[] { 3, c, 3, 3 });
        yield return ($"{index}.bias", new long[] { 3 });
    }

    [Fact]
    public void Its_state_has_the_released_taesdxl_decoder_names_and_shapes()
    {
        using var scope = NewDisposeScope();
        using var decoder = new TaesdDecoder(device: META);
        var ours = decoder.named_parameters().Select(p => (p.name, p.parameter.shape)).ToList();
        var released = ReleasedLayout().ToList();
        Assert.Equal(67, released.Count);
        Assert.Equal(released.Select(r => r.Name), ours.Select(o => o.name));
        Assert.All(released.Zip(ours), pair => Assert.Equal(pair.First.Shape, pair.Second.shape));
        Assert.Equal("19.bias", ours[^1].name);
    }

    [Fact]
    public void It_decodes_scaled_latents_to_images_eight_times_larger_and_distils_from_a_vae()
    {
        // Seeded initialisation (the loss drop below depends on it), the global generator restored afterwards: run after
        // another test that draws from it, the unseeded test fell to 0.79× instead of 0.7× of its first loss.
        using var saved = get_rng_state();
        try { Distils(); }
        finally { set_rng_state(saved); }
    }

    static void Distils()
    {
        manual_seed(20251204);
        using var vae = new AutoencoderKL(new AutoencoderKLConfig(EmbedDim: 4, Ch: 32, ChMult: [1, 1, 1, 1], NumResBlocks: 1, AttnResolutions: [],
            ZChannels: 4, DoubleZ: true, Resolution: 64, InChannels: 3, OutCh: 3));
        using var decoder = new TaesdDecoder(channels: 8);
        using (var scope = NewDisposeScope())
        using (no_grad())
            Assert.Equal(new long[] { 2, 3, 40, 24 }, decoder.call(randn(2, 4, 5, 3)).shape);
        Assert.Throws<ArgumentException>(() => decoder.call(randn(1, 3, 5, 5)));
        var data = new FakeTrainingData(4, 32, 32, seed: 1, repeatFirstBatch: true);
        var losses = new List<double>();
        using (var trainer = new TaesdTrainer(vae, decoder, data, new VaeTrainingSettings { Steps = 30, LearningRate = 3e-3, WarmupSteps = 2, Seed = 1 }))
            trainer.Train(new TrainingCallbacks(p => losses.Add(p.Loss)));
        Console.WriteLine($"taesd distil loss ratio {losses.TakeLast(5).Average() / losses.Take(5).Average():F3}");
        Assert.True(losses.TakeLast(5).Average() < 0.7 * losses.Take(5).Average(), $"loss {losses.Take(5).Average()} → {losses.TakeLast(5).Average()}");
    }

    [Fact]
    public void A_bfloat16_teacher_makes_float32_pairs_trains_the_float32_student_and_refuses_a_non_float_type()
    {
        using var vae = new AutoencoderKL(new AutoencoderKLConfig(EmbedDim: 4, Ch: 32, ChMult: [1, 1, 1, 1], NumResBlocks: 1, AttnResolutions: [],
            ZChannels: 4, DoubleZ: true, Resolution: 64, InChannels: 3, OutCh: 3));
        using var decoder = new TaesdDecoder(channels: 8);
        var data = new FakeTrainingData(4, 32, 32, seed: 1, repeatFirstBatch: true);
        var settings = new VaeTrainingSettings { Steps = 3, LearningRate = 3e-3, WarmupSteps = 1, Seed = 1 };
        var e = Assert.Throws<ArgumentException>(() => new TaesdTrainer(vae, decoder, data, settings, ScalarType.Int32));
        Assert.Contains("a VAE copy in Int32: not a floating-point type", e.Message);
        using (var same = new TaesdTrainer(vae, decoder, data, settings, ScalarType.Float32))
            Assert.Same(vae, same.Teacher);   // the VAE's own dtype: no copy
        using var trainer = new TaesdTrainer(vae, decoder, data, settings, ScalarType.BFloat16);
        Assert.Equal(ScalarType.BFloat16, trainer.Teacher.ComputeDType);
        Assert.Equal(ScalarType.Float32, trainer.Vae.ComputeDType);
        var losses = Enumerable.Range(0, 3).Select(_ => trainer.TrainStep()).ToList();
        Assert.All(losses, l => Assert.True(double.IsFinite(l)));
        Assert.All(decoder.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
    }

    /// <summary>
    /// The bf16 teacher the plan distils the shipped TAESD with (<c>TinyTrainingPlan.Bf16TaesdTeacher</c>): its targets
    /// must be far closer to the float32 teacher's than the student is allowed to be (the 25 dB goal below, MSE 3.2e-3);
    /// the bound here is a tenth of that error (35 dB). Runs where bf16 is emulated too (slower, same rounding).
    /// </summary>
    [Fact]
    public void The_bfloat16_teachers_targets_are_within_a_tenth_of_the_students_allowed_error_of_the_float32_teachers()
    {
        using var model = Pipeline.Models.Bundles.SdxlModel.Load(Pipeline.Models.Bundles.EmbeddedModels.Base!);
        var vae = model.FirstStage;
        using var decoder = new TaesdDecoder(vae.Config.EmbedDim, 8);
        var world = new Pipeline.Training.World.ShapeWorldData(Pipeline.Training.World.ShapeWorldSettings.Base(778, 16)
            with { Buckets = Pipeline.Training.World.WorldBuckets.Single(64, 64) });
        using var trainer = new TaesdTrainer(vae, decoder, world, new VaeTrainingSettings { Steps = 1, LearningRate = 1e-3 }, ScalarType.BFloat16);
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var batch = world.Batch(0);
        Tensor Target(AutoencoderKL v, out Tensor latents)
        {
            double scale = v.Config.ScaleFactor;
            latents = (v.Encode(batch.Images).Mode() * scale).to(ScalarType.Float32);
            return ((v.Decode(latents.to(v.ComputeDType) / scale) + 1) / 2).clamp(0, 1).to(ScalarType.Float32);
        }
        var exact = Target(vae, out var z32);
        var rounded = Target(trainer.Teacher, out var z16);
        double mse = (rounded - exact).square().mean().item<float>();
        double psnr = 10 * Math.Log10(1 / mse);
        double latentError = ((z16 - z32).square().mean() / z32.square().mean()).item<float>();
        Console.WriteLine($"bf16 teacher vs float32 teacher: targets {psnr:F1} dB, latents relative MSE {latentError:E2}");
        Assert.True(psnr >= 35, $"{psnr:F1} dB");
        Assert.True(latentError <= 1e-3, $"latent relative MSE {latentError:E2}");
    }

    [Fact]
    public void A_saved_decoder_loads_back_by_its_released_names_and_the_CLI_decodes_and_previews_with_it()
    {
        using var model = Pipeline.Models.Bundles.SdxlModel.Create(Pipeline.Tests.Stages.TinyModels.Base);
        using var folder = new Pipeline.Tests.Cli.TinyCheckpointFolder(model);
        var file = folder.PathOf("taesd.safetensors");
        using (var decoder = new TaesdDecoder(channels: 8))
        {
            Pipeline.Checkpoints.SafeTensorsWriter.Write(file, decoder.named_parameters().Select(p => new KeyValuePair<string, Tensor>(p.name, p.parameter)).ToList());
            using var loaded = TaesdDecoder.Load(file);
            Assert.Equal(8, loaded.Channels);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var z = randn(1, 4, 4, 4);
            Assert.True(decoder.call(z).eq(loaded.call(z)).all().item<bool>());
        }
        string output = folder.PathOf("out.png"), preview = folder.PathOf("preview.png");
        string[] common = { "--checkpoint", folder.Checkpoint, "--steps", "3", "--seed", "3", "--width", "32", "--height", "40" };
        var (code, text) = Pipeline.Tests.Cli.CliHarness.Sdxl(new[] { "txt2img", "a red circle", "--decoder", "taesd", "--taesd", file,
            "--preview", preview, "--preview-mode", "taesd", "--preview-every", "1", "--out", output }.Concat(common).ToArray());
        Assert.True(code == Pipeline.Cli.ExitCodes.Ok, text);
        Assert.Contains("Decoder: TAESD", Pipeline.Imaging.PngTextChunks.Read(File.ReadAllBytes(output))["parameters"]);
        using (var a = Pipeline.Imaging.PngImage.Read(output))
        using (var b = Pipeline.Imaging.PngImage.Read(preview))
            Assert.True(a.eq(b).all().item<bool>(), "the last TAESD preview is the TAESD-decoded image");
        (code, text) = Pipeline.Tests.Cli.CliHarness.Sdxl(new[] { "txt2img", "a red circle", "--decoder", "taesd", "--out", output }.Concat(common).ToArray());
        Assert.Equal(Pipeline.Cli.ExitCodes.Usage, code);
        Assert.Contains("need --taesd FILE", text);
    }

    /// <summary>The shipped tiny decoder of the embedded default (sdxl train --stage taesd) against the full VAE decode on
    /// held-out shape-world images: the target is 25 dB.</summary>
    [Fact]
    public void The_shipped_tiny_decoder_matches_the_full_decode_to_25_dB()
    {
        using var model = Pipeline.Models.Bundles.SdxlModel.Load(Pipeline.Models.Bundles.EmbeddedModels.Base!);
        using var decoder = TaesdDecoder.Load(Pipeline.Models.Bundles.EmbeddedModels.Taesd
            ?? throw new InvalidOperationException("models/tiny-taesd.safetensors must ship with the repository"));
        var vae = model.FirstStage;
        var test = new Pipeline.Training.World.ShapeWorldData(Pipeline.Training.World.ShapeWorldSettings.Base(777, 32)
            with { Buckets = Pipeline.Training.World.WorldBuckets.Single(64, 64) });
        using var noGrad = no_grad();
        double mse = 0;
        for (int b = 0; b < 2; b++)
        {
            using var scope = NewDisposeScope();
            using var batch = test.Batch(b);
            double scale = vae.Config.ScaleFactor;
            var z = vae.Encode(batch.Images).Mode() * scale;
            var full = ((vae.Decode(z / scale) + 1) / 2).clamp(0, 1);
            mse += (decoder.call(z).clamp(0, 1) - full).square().mean().item<float>();
        }
        double psnr = 10 * Math.Log10(1 / (mse / 2));
        Console.WriteLine($"shipped TAESD-32 vs full decode: {psnr:F2} dB");
        Assert.True(psnr >= 25, $"{psnr:F2} dB");
    }
}
