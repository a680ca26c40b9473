using Pipeline.Conditioning;
using Pipeline.Models.Bundles;
using Pipeline.Models.TextEncoders;
using Pipeline.Models.Unet;
using Pipeline.Models.Vae;
using Pipeline.Training;
using Pipeline.Training.World;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

public class TrainingTests(ITestOutputHelper output)
{
    static ClipTextConfig Text(int width, ClipActivation act) =>
        new(VocabSize: 49408, Width: width, Heads: 2, Layers: 2, MaxPositions: 77, IntermediateSize: 2 * width, ProjectionDim: width, Activation: act);

    static AutoencoderKLConfig Vae => new(EmbedDim: 4, Ch: 32, ChMult: [1, 1, 1, 1], NumResBlocks: 1, AttnResolutions: [], ZChannels: 4,
        DoubleZ: true, Resolution: 32, InChannels: 3, OutCh: 3);

    /// <summary>A very small base model (same record types as SDXL) with trainable text encoders and 10 % UCG dropout.</summary>
    internal static SdxlModelConfig Tiny(bool trainableText = true) => new("test-train", SdxlModelKind.Base,
        new ConditionerConfig(new EmbedderConfig[]
        {
            new FrozenCLIPEmbedderConfig(Text(16, ClipActivation.QuickGelu), ClipLayer.Hidden, LayerIndex: 1, UcgRate: 0.1, IsTrainable: trainableText),
            new FrozenOpenCLIPEmbedder2Config(Text(16, ClipActivation.Gelu), UcgRate: 0.1, IsTrainable: trainableText),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.OriginalSize, 32),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.CropCoordsTopLeft, 32),
            new ConcatTimestepEmbedderNDConfig(EmbedderKeys.TargetSize, 32),
        }),
        new UNetConfig(InChannels: 4, OutChannels: 4, ModelChannels: 32, ChannelMult: [1, 2], NumResBlocks: UNetConfig.PerLevel(1, 2),
            AttentionResolutions: [2], TransformerDepth: [0, 1], ContextDim: [32], NumHeadChannels: 16,
            UseLinearInTransformer: true, AdmInChannels: 16 + 3 * 64),
        Vae);

    internal static SdxlModel NewModel(SdxlModelConfig config, long initSeed)
    {
        manual_seed(initSeed);
        return SdxlModel.Create(config);
    }

    static DiffusionTrainingSettings Settings(long steps) => new()
    {
        Steps = steps, LearningRate = 1e-3, WarmupSteps = 2, Decay = LearningRateDecay.Cosine, EmaDecay = 0.9, Seed = 7,
    };

    [Fact]
    public void Resume_is_bit_exact()
    {
        var dir = Directory.CreateTempSubdirectory("train-resume").FullName;
        try
        {
            var data = new FakeTrainingData(3, 32, 32, seed: 5);
            const long n = 4, k = 2;
            string straight = Path.Combine(dir, "straight.state"), resumed = Path.Combine(dir, "resumed.state");
            using (var model = NewModel(Tiny(), 1))
            using (var trainer = new DiffusionTrainer(model, data, Settings(n)))
            {
                trainer.Train();
                Assert.Equal(n, trainer.Step);
                trainer.SaveState(straight);
            }
            string modelPath = Path.Combine(dir, "model.safetensors"), statePath = Path.Combine(dir, "k.state");
            using (var model = NewModel(Tiny(), 1))
            using (var trainer = new DiffusionTrainer(model, data, Settings(n)))
            {
                trainer.Train(stopAt: k);
                trainer.SaveCheckpoint(modelPath, statePath);
            }
            using (var model = SdxlModel.Load(modelPath))   // EMA weights in the sgm layout, fp16; the state overwrites them
            using (var trainer = new DiffusionTrainer(model, data, Settings(n)))
            {
                Assert.Equal(SdxlModelConfigJson.Serialize(Tiny()), SdxlModelConfigJson.Serialize(model.Config));
                trainer.LoadState(statePath);
                Assert.Equal(k, trainer.Step);
                trainer.Train();
                trainer.SaveState(resumed);
            }
            var a = File.ReadAllBytes(straight);
            var b = File.ReadAllBytes(resumed);
            output.WriteLine($"state file: {a.Length} bytes");
            Assert.True(a.AsSpan().SequenceEqual(b), "resumed training state differs from straight training");
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Vae_is_frozen_and_trainable_text_encoders_are_updated()
    {
        var data = new FakeTrainingData(2, 32, 32);
        foreach (bool trainableText in new[] { true, false })
        {
            using var model = NewModel(Tiny(trainableText), 2);
            using var trainer = new DiffusionTrainer(model, data, Settings(1) with { UcgDropout = false });
            var vaeBefore = Snapshot(model.FirstStage);
            var textBefore = Snapshot(model.Conditioner);
            var unetBefore = Snapshot(model.Network);
            trainer.TrainStep();
            Assert.All(model.FirstStage.parameters(), p => Assert.False(p.requires_grad));
            Assert.All(model.FirstStage.parameters(), p => Assert.Null(p.grad));
            Assert.DoesNotContain(trainer.Trainable, t => t.Name.StartsWith("first_stage_model.", StringComparison.Ordinal));
            Assert.True(Same(vaeBefore, Snapshot(model.FirstStage)), "the frozen VAE changed");
            Assert.False(Same(unetBefore, Snapshot(model.Network)), "the UNet did not change");
            Assert.Equal(trainableText, trainer.Trainable.Any(t => t.Name.StartsWith("conditioner.", StringComparison.Ordinal)));
            // AdamW skips parameters without a gradient: a changed text encoder had gradients.
            Assert.Equal(!trainableText, Same(textBefore, Snapshot(model.Conditioner)));
            Dispose(vaeBefore, textBefore, unetBefore);
        }
    }

    [Fact]
    public void Trainable_text_encoders_receive_gradients()
    {
        // The conditioner alone: a loss on its output reaches both text encoders' weights when IsTrainable.
        using var conditioner = new GeneralConditioner(Tiny().Conditioner);
        var tokens = Pipeline.Tokenize.TokenizeStage.Run(new[] { "a red image" });
        var rows = new[] { ConditionerInput.ForImage(tokens.ClipL[0].Ids.ToArray(), tokens.OpenClip[0].Ids.ToArray(), new ImageSize(32, 32)) };
        using (var scope = NewDisposeScope())
        {
            var c = conditioner.Forward(rows);
            (c.CrossAttn!.square().mean() + c.Vector!.square().mean()).backward();
        }
        foreach (var embedder in new[] { "embedders.0.", "embedders.1." })
            Assert.Contains(conditioner.named_parameters(), np => np.name.StartsWith(embedder, StringComparison.Ordinal) && np.parameter.grad is not null);
    }

    [Fact]
    public void Diffusion_loss_decreases_on_learnable_data()
    {
        var data = new FakeTrainingData(8, 32, 32, seed: 3);
        using var model = NewModel(Tiny(), 3);
        using var trainer = new DiffusionTrainer(model, data, new DiffusionTrainingSettings
        {
            Steps = 50, LearningRate = 2e-3, WarmupSteps = 5, Seed = 1, EmaDecay = 0.99,
        });
        var losses = new List<double>();
        var steps = new List<TrainingProgress>();
        int samples = 0;
        trainer.Train(new TrainingCallbacks(p => { losses.Add(p.Loss); steps.Add(p); }, SampleEvery: 25, OnSample: _ => samples++));
        double first = losses.Take(10).Average(), last = losses.TakeLast(10).Average();
        output.WriteLine($"diffusion loss: first 10 {first:F4}, last 10 {last:F4}; {steps[^1].StepsPerSecond:F1} steps/s");
        Assert.Equal(50, losses.Count);
        Assert.Equal(2, samples);
        Assert.Equal(50, steps[^1].Step);
        Assert.True(last < 0.8 * first, $"loss did not decrease: {first} → {last}");
    }

    [Fact]
    public void Vae_loss_decreases_and_resume_is_exact()
    {
        var data = new FakeTrainingData(4, 32, 32, seed: 9, repeatFirstBatch: true);
        var settings = new VaeTrainingSettings { Steps = 40, LearningRate = 2e-3, WarmupSteps = 3, Seed = 4, KlWeight = 1e-5, L2Weight = 1.0 };
        manual_seed(5);
        using var vae = new AutoencoderKL(Vae);
        using var trainer = new VaeTrainer(vae, data, settings);
        var losses = new List<double>();
        trainer.Train(new TrainingCallbacks(p => losses.Add(p.Loss)));
        double first = losses.Take(5).Average(), last = losses.TakeLast(5).Average();
        output.WriteLine($"vae loss: first 5 {first:F4}, last 5 {last:F4}");
        Assert.True(last < 0.9 * first, $"VAE loss did not decrease: {first} → {last}");
        double scale = VaeTrainer.MeasureScaleFactor(vae, data, batches: 2);
        Assert.True(double.IsFinite(scale) && scale > 0);

        VaeResume.AssertBitExact(Vae, data, settings with { Steps = 4 });
    }

    [Fact]
    public void The_edge_term_ignores_a_uniform_colour_shift_and_counts_a_moved_edge()
    {
        using var scope = NewDisposeScope();
        var shift = full(2, 3, 8, 8, 0.3f);
        Assert.Equal(new[] { 0f, 0f }, VaeTrainer.EdgeError(shift).data<float>().ToArray());
        // An edge one column off: the error is h on one column of one channel → |∇| = h on each side of it, every row.
        var moved = zeros(1, 3, 8, 8);
        moved[0, 1, .., 4] = tensor(0.5f);
        Assert.Equal(2 * 8 * 0.5, VaeTrainer.EdgeError(moved).item<float>(), 5);

        var data = new FakeTrainingData(4, 32, 32, seed: 9, repeatFirstBatch: true);
        double FirstLoss(double edge)
        {
            manual_seed(5);
            using var vae = new AutoencoderKL(Vae);
            using var trainer = new VaeTrainer(vae, data, new VaeTrainingSettings { Steps = 1, LearningRate = 1e-3, WarmupSteps = 0, Seed = 4, EdgeWeight = edge });
            double loss = double.NaN;
            trainer.Train(new TrainingCallbacks(p => loss = p.Loss));
            return loss;
        }
        double plain = FirstLoss(0), withEdges = FirstLoss(1);
        Assert.True(withEdges > plain * 1.05, $"the edge term adds nothing: {plain} vs {withEdges}");
        Assert.Contains("edge weight", Assert.Throws<ArgumentException>(() => new VaeTrainingSettings { EdgeWeight = -1 }.Validate()).Message);
    }

    [Fact]
    public void Latents_encoded_in_bf16_stay_near_the_float32_ones_and_the_models_vae_is_untouched()
    {
        using var model = NewModel(Tiny(), 3);
        var data = new FakeTrainingData(4, 32, 32, seed: 9, repeatFirstBatch: true);
        var before = model.FirstStage.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        double Loss(ScalarType? encode)
        {
            using var objective = new DiffusionObjective(model, Settings(1) with { EncodeDType = encode, UcgDropout = false });
            using var scope = NewDisposeScope();
            using var batch = data.Batch(0);
            using var noGrad = no_grad();
            return objective.Loss(batch).item<float>();
        }
        double fp32 = Loss(null), bf16 = Loss(ScalarType.BFloat16);
        output.WriteLine($"loss with float32 latents {fp32:F6}, bf16-encoded {bf16:F6}");
        Assert.True(Math.Abs(bf16 - fp32) <= 0.02 * fp32, $"{fp32} vs {bf16}");
        Assert.NotEqual(fp32, bf16);
        Assert.Equal(ScalarType.Float32, model.FirstStage.ComputeDType);
        foreach (var (name, t) in model.FirstStage.state_dict()) Assert.True(t.eq(before[name]).all().item<bool>(), $"{name} changed");
        foreach (var t in before.Values) t.Dispose();
    }

    [Fact]
    public void A_decoder_only_fine_tune_changes_the_decoder_and_keeps_the_encoder_and_its_latents()
    {
        var data = new FakeTrainingData(4, 32, 32, seed: 3, repeatFirstBatch: true);
        using var vae = new AutoencoderKL(Vae);
        var before = vae.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using var batch = data.Batch(0);
        Tensor latentsBefore;
        using (no_grad()) latentsBefore = vae.Encode(batch.Images).Mean.clone();
        var settings = new VaeTrainingSettings { Steps = 8, LearningRate = 2e-3, WarmupSteps = 1, Seed = 4, KlWeight = 0, L2Weight = 1.0, DecoderOnly = true };
        using (var trainer = new VaeTrainer(vae, data, settings))
        {
            Assert.All(trainer.Trainable, p => Assert.True(VaeTrainer.IsDecoderSide(p.Name), p.Name));
            trainer.Train();
        }
        int changed = 0;
        foreach (var (name, t) in vae.state_dict())
        {
            bool same = t.eq(before[name]).all().item<bool>();
            if (!VaeTrainer.IsDecoderSide(name)) Assert.True(same, $"{name} is on the encoder side and changed");
            else if (!same) changed++;
        }
        Assert.True(changed > 10, $"only {changed} decoder tensors changed");
        using (no_grad())
        using (var latentsAfter = vae.Encode(batch.Images).Mean)
            Assert.True(latentsAfter.eq(latentsBefore).all().item<bool>(), "the latent space moved");
        Assert.Contains("KL weight must be 0", Assert.Throws<ArgumentException>(() =>
            new VaeTrainer(vae, data, settings with { KlWeight = 1e-6 })).Message);
        latentsBefore.Dispose();
        foreach (var t in before.Values) t.Dispose();
    }

    [Fact]
    public void Any_colour_world_data_mixes_random_colours_with_the_base_world()
    {
        var settings = new AnyColourWorldSettings(ShapeWorldSettings.Base(5, 8), RandomShare: 0.5, MinContrast: 80);
        var data = new AnyColourWorldData(settings);
        var baseData = new ShapeWorldData(settings.World);
        int random = 0, n = 0;
        for (long b = 0; b < 40; b++)
        {
            var scenes = data.Scenes(b);
            var plain = baseData.Scenes(b);
            for (int j = 0; j < scenes.Count; j++, n++)
            {
                var labels = data.RandomLabels(b * 8 + j);
                if (labels is null) { Assert.Equal(plain[j], scenes[j]); continue; }
                random++;
                Assert.Equal(labels, scenes[j].Labels);
                var (c, g) = (labels.Color, labels.Background);
                Assert.True(Math.Sqrt((c.R - g.R) * (c.R - g.R) + (c.G - g.G) * (c.G - g.G) + (c.B - g.B) * (c.B - g.B)) >= 80);
            }
        }
        output.WriteLine($"random colours in {random} of {n} samples");
        Assert.InRange(random / (double)n, 0.42, 0.58);
        Assert.Equal(data.Scenes(3), new AnyColourWorldData(settings).Scenes(3));
        Assert.Throws<ArgumentException>(() => new AnyColourWorldData(settings with { RandomShare = 1.5 }));
    }

    [Fact]
    public void A_training_step_leaves_the_live_tensor_count_unchanged()
    {
        var data = new FakeTrainingData(2, 32, 32);
        using var model = NewModel(Tiny(), 4);
        using var trainer = new DiffusionTrainer(model, data, Settings(3));
        trainer.TrainStep();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        trainer.TrainStep();
        long after = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        output.WriteLine($"live tensors {before} → {after}");
        Assert.Equal(before, after);
    }

    [Fact]
    public void AdamW_follows_the_pytorch_formula()
    {
        using var p = new TorchSharp.Modules.Parameter(tensor(new float[] { 1.0f, -2.0f }));
        using var opt = new AdamW(new[] { ("p", p) }, new AdamWSettings(0.9, 0.999, 1e-8, 0.1));
        double[] x = { 1.0, -2.0 }, m = new double[2], v = new double[2];
        double[][] grads = { new[] { 0.5, -1.0 }, new[] { -0.25, 2.0 }, new[] { 1.0, 1.0 } };
        const double lr = 0.01;
        for (int t = 1; t <= grads.Length; t++)
        {
            p.grad = tensor(grads[t - 1].Select(g => (float)g).ToArray());
            opt.Update(lr);
            opt.ZeroGrad();
            for (int i = 0; i < 2; i++)
            {
                double g = grads[t - 1][i];
                x[i] *= 1 - lr * 0.1;
                m[i] = 0.9 * m[i] + 0.1 * g;
                v[i] = 0.999 * v[i] + 0.001 * g * g;
                x[i] -= lr / (1 - Math.Pow(0.9, t)) * m[i] / (Math.Sqrt(v[i]) / Math.Sqrt(1 - Math.Pow(0.999, t)) + 1e-8);
            }
        }
        var got = p.data<float>().ToArray();
        for (int i = 0; i < 2; i++) Assert.Equal(x[i], got[i], 5);
        Assert.Equal(3, opt.Step);
    }

    [Fact]
    public void Schedule_warms_up_linearly_then_decays_by_cosine()
    {
        var s = new LearningRateSchedule(1.0, WarmupSteps: 4, LearningRateDecay.Cosine, TotalSteps: 14, FinalFraction: 0.1);
        Assert.Equal(0.25, s.At(0), 12);
        Assert.Equal(1.0, s.At(3), 12);
        Assert.Equal(1.0, s.At(4), 12);
        Assert.Equal(0.55, s.At(9), 12);
        Assert.Equal(0.1, s.At(14), 12);
        Assert.Equal(1.0, new LearningRateSchedule(1.0, 2).At(100), 12);
    }

    [Fact]
    public void Ema_warms_up_and_swaps_back_exactly()
    {
        using var p = new TorchSharp.Modules.Parameter(tensor(new float[] { 0f }));
        using var ema = new Ema(new[] { ("p", p) }, decay: 0.999, warmup: true);
        using (no_grad()) p.fill_(1f);
        ema.Update();   // decay min(0.999, 1/10) = 0.1 → shadow 0.9
        using (ema.Apply()) Assert.Equal(0.9f, p.data<float>()[0], 6);
        Assert.Equal(1f, p.data<float>()[0]);
    }

    static List<Tensor> Snapshot(nn.Module m) => m.parameters().Select(p => p.detach().clone()).ToList();
    static bool Same(List<Tensor> a, List<Tensor> b) => a.Zip(b).All(x => x.First.equal(x.Second).all().item<bool>());
    static void Dispose(params List<Tensor>[] lists) { foreach (var l in lists) foreach (var t in l) t.Dispose(); }
}
