using Pipeline.Adapters;
using Pipeline.Models.Bundles;
using Pipeline.Training;
using Pipeline.Training.Lora;
using Pipeline.Training.World;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Cond = Pipeline.Conditioning.Conditioning;

namespace Pipeline.Tests.Training;

public class LoraTrainingTests(ITestOutputHelper output)
{
    static SdxlModel NewModel() => TrainingTests.NewModel(TrainingTests.Tiny(), 1);

    static LoraTrainingSettings Settings(long steps, long seed = 3) => new()
    {
        Steps = steps, Rank = 4, Alpha = 2, LearningRate = 1e-2, WarmupSteps = 1, Seed = seed,
    };

    /// <summary>The UNet's output on fixed random inputs (the tiny test config: context 32, vector 208).</summary>
    static float[] UnetOutput(SdxlModel model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var g = new Generator(11, CPU);
        var x = randn(new long[] { 2, 4, 8, 8 }, generator: g);
        var t = tensor(new float[] { 10, 700 });
        var cond = new Cond(randn(new long[] { 2, 5, 32 }, generator: g), randn(new long[] { 2, 16 + 3 * 64 }, generator: g));
        return model.Network.Forward(x, t, cond).data<float>().ToArray();
    }

    static void RandomizeUp(LoraNetwork network, long seed)
    {
        using var g = new Generator((ulong)seed, CPU);
        using var noGrad = no_grad();
        foreach (var m in network.Modules)
        {
            using var scope = NewDisposeScope();
            network.Layer(m.KohyaName).Up.copy_(randn(network.Layer(m.KohyaName).Up.shape, generator: g) * 0.1);
        }
    }

    [Fact]
    public void Targets_are_the_transformer_linears_with_kohya_names_and_state_dict_names_stay()
    {
        using var model = NewModel();
        var keysBefore = model.NamedTensors().Select(kv => kv.Key).ToList();
        using var network = LoraNetwork.Create(model, LoraTargets.Default, 4, 4, 1);
        // Tiny test UNet: a SpatialTransformer of depth 1 in input_blocks.3, middle_block.1, output_blocks.0 and .1 = 4
        // × (attn1 q/k/v/out + attn2 q/k/v/out + ff 2 + proj_in/out) = 4 × 12.
        Assert.Equal(48, network.Modules.Count);
        Assert.Contains(network.Modules, m => m.KohyaName == "lora_unet_middle_block_1_transformer_blocks_0_attn2_to_k"
                                              && m.WeightName == "model.diffusion_model.middle_block.1.transformer_blocks.0.attn2.to_k.weight");
        Assert.Contains(network.Modules, m => m.KohyaName == "lora_unet_input_blocks_3_1_transformer_blocks_0_ff_net_0_proj");
        Assert.Equal(16, network.Modules.Count(m => m.KohyaName.Contains("attn1")));
        Assert.Equal(32, LoraNetwork.TargetLayers(model, LoraTargets.Attention).Count);
        Assert.Equal(8, LoraNetwork.TargetLayers(model, LoraTargets.Projection).Count);
        using (network.Attach(model)) Assert.Equal(keysBefore, model.NamedTensors().Select(kv => kv.Key).ToList());
        Assert.Equal(LoraTargets.Attention | LoraTargets.Projection, LoraTargetRules.Parse("attention, proj"));
        Assert.Throws<ArgumentException>(() => LoraTargetRules.Parse("conv"));
    }

    /// <summary>The conditioning of two fixed prompts (cross-attention and vector, flattened).</summary>
    static float[] ConditioningOutput(SdxlModel model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var rows = new[] { "a red circle on a blue background", "a pink square" }.Select(p =>
        {
            var t = Pipeline.Tokenize.TokenizeStage.Run(new[] { p });
            return new Pipeline.Conditioning.ConditionerInput(t.ClipL[0].Ids.ToArray(), t.OpenClip[0].Ids.ToArray(),
                new Pipeline.Conditioning.ImageSize(64, 64), new Pipeline.Conditioning.CropCoords(0, 0), new Pipeline.Conditioning.ImageSize(64, 64), 6);
        }).ToList();
        var c = model.Conditioner.Forward(rows);
        return c.CrossAttn!.flatten().data<float>().Concat(c.Vector!.flatten().data<float>()).ToArray();
    }

    [Fact]
    public void Text_encoder_targets_are_kohyas_with_open_clips_fused_qkv_as_row_slices()
    {
        using var model = NewModel();
        using var network = LoraNetwork.Create(model, LoraTargets.Default, 4, 4, 1, textEncoders: true);
        var te1 = network.Modules.Where(m => m.Component == AdapterComponent.TextEncoder1).ToList();
        var te2 = network.Modules.Where(m => m.Component == AdapterComponent.TextEncoder2).ToList();
        var clip = model.Config.Conditioner.Embedders.OfType<Pipeline.Conditioning.FrozenCLIPEmbedderConfig>().Single();
        int layers1 = clip.LayersUsed;
        Assert.Equal(clip.Text.Layers - 1, layers1);   // hidden_states[-2]-style: the last layer is not read, so not adapted
        Assert.Equal(11, new Pipeline.Conditioning.FrozenCLIPEmbedderConfig(Pipeline.Models.TextEncoders.ClipTextConfig.ClipL).LayersUsed);   // SDXL: 11 of 12
        Assert.Equal(12, new Pipeline.Conditioning.FrozenCLIPEmbedderConfig(Pipeline.Models.TextEncoders.ClipTextConfig.ClipL, AlwaysReturnPooled: true).LayersUsed);
        int layers2 = model.Config.Conditioner.Embedders.OfType<Pipeline.Conditioning.FrozenOpenCLIPEmbedder2Config>().Single().Text.Layers;
        Assert.Equal(6 * layers1, te1.Count);
        Assert.Equal(6 * layers2, te2.Count);
        Assert.Equal(48, network.Modules.Count(m => m.Component == AdapterComponent.Unet));
        Assert.Equal("lora_te1_text_model_encoder_layers_0_self_attn_q_proj", te1[0].KohyaName);
        Assert.EndsWith("embedders.0.transformer.text_model.encoder.layers.0.self_attn.q_proj.weight", te1[0].WeightName);
        long width = te2[0].InFeatures;
        var fused = te2.Where(m => m.KohyaName.Contains("layers_0_self_attn_") && !m.KohyaName.EndsWith("out_proj")).ToList();
        Assert.Equal(new[] { "q", "k", "v" }, fused.Select(m => m.KohyaName.Split('_')[^2]));
        Assert.All(fused, m => Assert.EndsWith("resblocks.0.attn.in_proj_weight", m.WeightName));
        Assert.Equal(new long[] { 0, width, 2 * width }, fused.Select(m => m.Target.Rows!.Start));
        Assert.All(fused, m => Assert.Equal(width, m.Target.Rows!.Length));
        Assert.Contains(te2, m => m.KohyaName == "lora_te2_text_model_encoder_layers_0_mlp_fc2" && m.WeightName.EndsWith("resblocks.0.mlp.c_proj.weight"));
        // Attention only: no MLP modules.
        using var attention = LoraNetwork.Create(model, LoraTargets.Attention, 4, 4, 1, textEncoders: true);
        Assert.Equal(4 * (layers1 + layers2), attention.Modules.Count(m => m.Component.IsTextEncoder()));
    }

    [Fact]
    public void Text_encoder_lora_file_reads_back_and_merging_it_equals_the_attached_conditioning()
    {
        var dir = Directory.CreateTempSubdirectory("lora-te").FullName;
        try
        {
            using var model = NewModel();
            var before = ConditioningOutput(model);
            using var network = LoraNetwork.Create(model, LoraTargets.Default, 4, 2, 1, textEncoders: true);
            using (network.Attach(model)) Assert.Equal(before, ConditioningOutput(model));   // up = 0
            RandomizeUp(network, 8);
            var path = Path.Combine(dir, "te.safetensors");
            network.Save(path);
            var adapter = Adapter.Load(path, model);
            Assert.True(adapter.Report.Complete, adapter.Report.Summary());
            Assert.Equal(network.Modules.Count, adapter.Modules.Count);
            foreach (var m in network.Modules)
                Assert.Equal(m.Target, adapter.Modules.Single(a => a.Name == m.KohyaName).Target);
            float[] attached;
            using (network.Attach(model)) attached = ConditioningOutput(model);
            float[] merged;
            using (AdapterMerge.Apply(model, adapter, 1.0)) merged = ConditioningOutput(model);
            double maxDiff = attached.Zip(merged, (a, b) => Math.Abs(a - b)).Max(), size = attached.Select(Math.Abs).Max();
            double effect = attached.Zip(before, (a, b) => Math.Abs(a - b)).Max();
            output.WriteLine($"conditioning attached vs merged: max |Δ| {maxDiff:E2}; the LoRA's effect {effect:E2} (values up to {size:F3})");
            Assert.True(maxDiff < 1e-4 * Math.Max(1, size), $"attached and merged conditioning differ by {maxDiff}");
            Assert.True(effect > 100 * maxDiff, $"the LoRA's effect {effect} must dwarf {maxDiff}");
            Assert.Equal(before, ConditioningOutput(model));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Text_encoder_layers_receive_gradients_in_training_and_the_base_stays()
    {
        var data = new FakeTrainingData(4, 32, 32, seed: 2);
        using var model = NewModel();
        var baseBefore = model.NamedTensors().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        using (var trainer = new LoraTrainer(model, data, Settings(3) with { TextEncoders = true, UcgDropout = false }))
        {
            trainer.Train();
            var te = trainer.Network.Modules.Where(m => m.Component.IsTextEncoder()).ToList();
            Assert.NotEmpty(te);
            Assert.All(te, m => Assert.True(trainer.Network.Layer(m.KohyaName).Up.abs().max().item<float>() > 0, $"{m.KohyaName} was not trained"));
        }
        foreach (var (name, t) in model.NamedTensors())
            Assert.True(t.eq(baseBefore[name]).all().item<bool>(), $"{name} changed");
        foreach (var t in baseBefore.Values) t.Dispose();
    }

    [Fact]
    public void Without_a_lora_the_forward_is_bit_identical_and_a_fresh_lora_adds_exactly_zero()
    {
        using var model = NewModel();
        var before = UnetOutput(model);
        using var network = LoraNetwork.Create(model, LoraTargets.Default, 4, 4, 1);
        using (network.Attach(model)) Assert.Equal(before, UnetOutput(model));   // up = 0
        RandomizeUp(network, 5);
        using (network.Attach(model)) Assert.NotEqual(before, UnetOutput(model));
        Assert.Equal(before, UnetOutput(model));                                     // detached: the same code path as before
    }

    [Fact]
    public void Kohya_file_reads_back_to_the_same_deltas_and_merging_it_equals_the_attached_forward()
    {
        var dir = Directory.CreateTempSubdirectory("lora-kohya").FullName;
        try
        {
            using var model = NewModel();
            using var network = LoraNetwork.Create(model, LoraTargets.Default, 4, 2, 1);
            RandomizeUp(network, 6);
            var path = Path.Combine(dir, "x.safetensors");
            network.Save(path);
            var adapter = Adapter.Load(path, model);
            Assert.True(adapter.Report.Complete, adapter.Report.Summary());
            Assert.Equal(network.Modules.Count, adapter.Modules.Count);
            using var file = Pipeline.Checkpoints.SafeTensorsFile.Open(path);
            Assert.Equal("networks.lora", file.Metadata["ss_network_module"]);
            foreach (var m in network.Modules)
            {
                var module = adapter.Modules.Single(a => a.Name == m.KohyaName);
                Assert.Equal(m.WeightName, module.Target.Parameter);
                Assert.Equal(0.5, module.Delta.Scale);
                using var scope = NewDisposeScope();
                var read = module.Delta.Compute(name => file.Read(name).to(ScalarType.Float32), module.Target.DeltaShape);
                var expected = network.Layer(m.KohyaName).DeltaWeight();
                double diff = (read - expected).abs().max().item<float>(), scale = expected.abs().max().item<float>();
                Assert.True(diff <= 1e-6 * scale, $"{m.KohyaName}: read-back delta differs by {diff} (delta up to {scale})");
            }

            float[] attached;
            using (network.Attach(model)) attached = UnetOutput(model);
            float[] merged;
            using (AdapterMerge.Apply(model, adapter, 1.0)) merged = UnetOutput(model);
            double maxDiff = attached.Zip(merged, (a, b) => Math.Abs(a - b)).Max();
            double size = attached.Select(Math.Abs).Max();
            output.WriteLine($"attached vs merged: max |Δ| {maxDiff:E2} (outputs up to {size:F3})");
            Assert.True(maxDiff < 1e-4 * Math.Max(1, size), $"attached and merged forwards differ by {maxDiff}");
            Assert.NotEqual(UnetOutput(model), attached);

            network.Save(Path.Combine(dir, "h.safetensors"), ScalarType.Float16);
            Assert.True(new FileInfo(Path.Combine(dir, "h.safetensors")).Length < new FileInfo(path).Length);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Training_updates_only_the_lora_and_the_loss_decreases()
    {
        var data = new FakeTrainingData(4, 32, 32, seed: 2, repeatFirstBatch: true);
        using var model = NewModel();
        var baseBefore = model.NamedTensors().ToDictionary(kv => kv.Key, kv => kv.Value.clone());
        var objectiveSettings = Settings(1).Objective with { UcgDropout = false };
        double Measure()
        {
            using var objective = new DiffusionObjective(model, objectiveSettings);
            using var batch = data.Batch(0);
            double sum = 0;
            for (int i = 0; i < 8; i++)
            {
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                sum += objective.Loss(batch).item<float>();
            }
            return sum / 8;
        }
        double before = Measure();
        double after;
        using (var trainer = new LoraTrainer(model, data, Settings(60) with { LearningRate = 3e-2 }))
        {
            Assert.All(model.NamedTensors(), kv => Assert.False(kv.Value.requires_grad));
            trainer.Train();
            after = Measure();
        }
        output.WriteLine($"loss on the training batch: {before:F4} → {after:F4}");
        Assert.True(after < 0.98 * before, $"loss {before} → {after}");   // measured 1.0410 → 0.9704 (a random tiny UNet: the LoRA has little to work with)
        foreach (var (name, t) in model.NamedTensors())
            Assert.True(t.eq(baseBefore[name]).all().item<bool>(), $"{name} changed");
        Assert.Equal(before, Measure());                       // the trainer is gone: hooks removed
        foreach (var t in baseBefore.Values) t.Dispose();
    }

    [Fact]
    public void Resume_is_bit_exact()
    {
        var dir = Directory.CreateTempSubdirectory("lora-resume").FullName;
        try
        {
            var data = new FakeTrainingData(3, 32, 32, seed: 5);
            const long n = 4, k = 2;
            string straight = Path.Combine(dir, "a.safetensors"), half = Path.Combine(dir, "h.state"), resumed = Path.Combine(dir, "b.safetensors");
            using (var model = NewModel())
            using (var trainer = new LoraTrainer(model, data, Settings(n)))
            {
                trainer.Train();
                trainer.Save(straight);
                trainer.SaveState(straight + ".state");
            }
            using (var model = NewModel())
            using (var trainer = new LoraTrainer(model, data, Settings(n)))
            {
                trainer.Train(stopAt: k);
                trainer.SaveState(half);
            }
            using (var model = NewModel())
            using (var trainer = new LoraTrainer(model, data, Settings(n, seed: 3)))
            {
                trainer.LoadState(half);
                Assert.Equal(k, trainer.Step);
                trainer.Train();
                trainer.Save(resumed);
                trainer.SaveState(resumed + ".state");
            }
            Assert.True(File.ReadAllBytes(straight).AsSpan().SequenceEqual(File.ReadAllBytes(resumed)), "resumed LoRA differs from straight training");
            Assert.True(File.ReadAllBytes(straight + ".state").AsSpan().SequenceEqual(File.ReadAllBytes(resumed + ".state")), "resumed state differs");
            using var file = Pipeline.Checkpoints.SafeTensorsFile.Open(straight);
            Assert.Equal("4", file.Metadata["ss_steps"]);
            using var up = file.Read(file.Entries.Keys.First(key => key.EndsWith(".lora_up.weight")));
            Assert.True(up.abs().max().item<float>() > 0);    // trained away from zero
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void Settings_are_validated_before_any_work()
    {
        using var model = NewModel();
        var data = new FakeTrainingData(2, 32, 32);
        Assert.Contains("rank", Assert.Throws<ArgumentException>(() => new LoraTrainer(model, data, Settings(1) with { Rank = 0 })).Message);
        Assert.Throws<ArgumentException>(() => LoraNetwork.Create(model, LoraTargets.Default, 40, 1, 0));   // rank above the layer widths
        Assert.All(model.NamedTensors().Where(kv => kv.Key.StartsWith("model.")), kv => Assert.True(kv.Value.requires_grad));
    }

    [Fact]
    public void Concept_data_shows_the_new_colour_and_keeps_the_base_world()
    {
        var settings = new ConceptWorldSettings(ShapeWorldSettings.Base(4, 8), ShapeWorld.Pink, ConceptFraction: 0.5);
        var data = new ConceptWorldData(settings);
        var scenes = Enumerable.Range(0, 50).SelectMany(i => data.Scenes(i)).ToList();
        double share = scenes.Count(s => s.Labels.Color == ShapeWorld.Pink || s.Labels.Background == ShapeWorld.Pink) / (double)scenes.Count;
        double asBackground = scenes.Count(s => s.Labels.Background == ShapeWorld.Pink) / (double)scenes.Count;
        output.WriteLine($"pink share {share:F3}, as background {asBackground:F3}");
        Assert.InRange(share, 0.42, 0.58);
        Assert.InRange(asBackground, 0.11, 0.23);
        Assert.Equal(data.Scenes(7), new ConceptWorldData(settings).Scenes(7));   // deterministic per batch index
        // Samples without the concept are the base world's draws, geometry included.
        var baseData = new ShapeWorldData(settings.World);
        var plain = Enumerable.Range(0, 8).Where(j => data.ConceptLabels(3 * 8 + j) is null).ToList();
        Assert.NotEmpty(plain);
        foreach (var j in plain) Assert.Equal(baseData.Scenes(3)[j], data.Scenes(3)[j]);
        Assert.Equal(8, ShapeWorld.Colors.Count);
        Assert.DoesNotContain(ShapeWorld.Pink, ShapeWorld.Colors);
        Assert.Throws<ArgumentException>(() => new ConceptWorldData(settings with { Concept = ShapeWorld.Red }));
        Assert.Throws<ArgumentException>(() => ShapeWorld.ParseCaption("a pink circle on a blue background"));
    }

    [Fact]
    public void Detector_finds_pink_with_the_extended_palette_only()
    {
        var settings = ShapeWorldSettings.Base(9, 1) with { CropProbability = 0, MinOriginalSide = 64 };
        int found = 0, n = 0;
        foreach (var (labels, i) in new[]
                 {
                     new WorldLabels(ShapeWorld.Pink, Shape.Circle, ShapeWorld.Blue), new WorldLabels(ShapeWorld.Pink, Shape.Square, ShapeWorld.Black),
                     new WorldLabels(ShapeWorld.Green, Shape.Triangle, ShapeWorld.Pink), new WorldLabels(ShapeWorld.Pink, Shape.Triangle, ShapeWorld.White),
                 }.Select((l, i) => (l, i)))
        {
            var scene = WorldScenes.Draw(settings, new Pipeline.Conditioning.ImageSize(64, 64), 9, i, labels);
            var sample = WorldRenderer.Render(scene);
            var d = WorldDetector.Detect(sample.Image, ShapeWorld.ExtendedColors);
            n++;
            found += d.Matches(labels) ? 1 : 0;
            var plain = WorldDetector.Detect(sample.Image);
            Assert.NotEqual(ShapeWorld.Pink, plain.Color);
            Assert.NotEqual(ShapeWorld.Pink, plain.Background);
            sample.Image.Dispose();
        }
        Assert.Equal(n, found);
    }
}
