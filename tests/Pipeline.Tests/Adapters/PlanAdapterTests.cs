using System.Collections.Immutable;
using Pipeline.Adapters;
using Pipeline.Cli;
using Pipeline.Generation;
using Pipeline.Imaging;
using Pipeline.Models.Bundles;
using Pipeline.Stages;
using Pipeline.Tests.Cli;
using Pipeline.Tests.Generation;
using Pipeline.Tests.Stages;
using Pipeline.Tokenize.Prompts;
using TorchSharp;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Adapters;

/// <summary>Adapters as a step of the plan: merged for the base phase, undone after, named by prompt tags, recorded in the PNG.</summary>
public sealed class PlanAdapterTests : IDisposable
{
    readonly AdapterScratch _files = new();
    readonly SdxlModel _base = SdxlModel.Create(TinyModels.Base);

    public void Dispose()
    {
        _base.Dispose();
        _files.Dispose();
    }

    /// <summary>A kohya LoRA (rank 4) on a UNet attention projection and a CLIP-L attention projection of the tiny base.</summary>
    string KohyaLora(string name, int seed)
    {
        var g = new TorchSharp.torch.Generator((ulong)seed);
        const string U = "lora_unet_input_blocks_3_1_transformer_blocks_0_attn2_to_k", T = "lora_te1_text_model_encoder_layers_0_self_attn_q_proj";
        return _files.Write(name, [
            (U + ".lora_down.weight", AdapterScratch.Random(g, 4, 48)), (U + ".lora_up.weight", AdapterScratch.Random(g, 64, 4)), (U + ".alpha", tensor(4f)),
            (T + ".lora_down.weight", AdapterScratch.Random(g, 4, 16)), (T + ".lora_up.weight", AdapterScratch.Random(g, 16, 4)), (T + ".alpha", tensor(2f)),
        ]);
    }

    GenerationPlan Plan(string prompt = "a red circle on a blue background") => TinyPlans.TextToImage(_base, prompt, steps: 3, seed: 5, sampler: "euler");

    [Fact]
    public void A_plan_with_an_adapter_equals_merging_it_by_hand_and_leaves_the_model_as_it_was()
    {
        var adapter = Adapter.Load(KohyaLora("style", 1), _base);
        var before = AdapterScratch.Snapshot(_base);
        using var planned = Plan().WithAdapters(AdapterUse.Of(adapter, 0.8)).RunLatents();
        Assert.Empty(AdapterScratch.Changed(before, AdapterScratch.Snapshot(_base)));
        Tensor byHand;
        using (AdapterMerge.Apply(_base, adapter, 0.8)) byHand = Plan().RunLatents();
        using (byHand) Assert.True(TinyPlans.Same(byHand, planned));
        using var without = Plan().RunLatents();
        Assert.False(TinyPlans.Same(without, planned));
    }

    [Fact]
    public void Strength_0_is_no_adapter_bit_for_bit()
    {
        var adapter = Adapter.Load(KohyaLora("zero", 2), _base);
        using var zero = Plan().WithAdapters(AdapterUse.Of(adapter, 0)).RunLatents();
        using var without = Plan().RunLatents();
        Assert.True(TinyPlans.Same(without, zero));
    }

    [Fact]
    public void Prompt_tags_must_name_an_adapter_of_the_plan_and_other_network_kinds_are_refused()
    {
        var adapter = Adapter.Load(KohyaLora("shiny", 3), _base);
        var missing = Plan("a red circle <lora:shiny:0.5>").Problems();
        Assert.Contains(missing, p => p.Contains("<lora:shiny:0.5>") && p.Contains("does not hold"));
        Assert.Empty(Plan("a red circle <lora:shiny:0.5>").WithAdapters(AdapterUse.Of(adapter, 0.5)).Problems());
        Assert.Contains(Plan("a red circle <hypernet:x:1>").Problems(), p => p.Contains("<hypernet:x:1>"));
    }

    [Fact]
    public void The_plan_prints_its_adapters_and_the_PNG_parameters_carry_A1111s_Lora_hashes()
    {
        var adapter = Adapter.Load(KohyaLora("shiny", 4), _base);
        var plan = Plan().WithAdapters(new AdapterUse(adapter, 0.7, 0.3));
        Assert.Contains($"adapters       shiny [{adapter.Hashes.Short}] unet 0.7, text encoders 0.3", plan.Describe());
        var parameters = PlanParameters.For(plan)[0].ToA1111();
        Assert.Contains($"Lora hashes: \"shiny: {adapter.Hashes.Short}\"", parameters);
    }

    [Fact]
    public void The_memory_estimate_counts_the_copies_a_merge_keeps()
    {
        var adapter = Adapter.Load(KohyaLora("mem", 7), _base);
        var plain = MemoryEstimate.For(TinyModels.Base, new Pipeline.Conditioning.ImageSize(64, 64), 1, ScalarType.BFloat16);
        var merged = plain.WithMergedAdapters([AdapterUse.Of(adapter, 1)], ScalarType.BFloat16);
        // The two touched weights: attn2.to_k [64, 48] and CLIP-L q_proj [16, 16], 2 bytes each in bf16.
        Assert.Equal(2L * (64 * 48 + 16 * 16), merged.Weights - plain.Weights);
        Assert.True(merged.Peak > plain.Peak);
    }

    [Theory]
    [InlineData("<lora:x>", 1.0, 1.0)]
    [InlineData("<lora:x:0.5>", 0.5, 0.5)]
    [InlineData("<lora:x:0.5:0.25>", 0.5, 0.25)]
    [InlineData("<lora:x:te=0.2:unet=0.9>", 0.2, 0.9)]
    [InlineData("<lyco:x:0.6:unet=0>", 0.6, 0.0)]
    public void Lora_tags_give_A1111s_text_encoder_and_unet_strengths(string text, double te, double unet)
    {
        var adapter = Adapter.Load(KohyaLora("x", 5), _base);
        var (_, tags) = ExtraNetworks.Strip("a cat " + text);
        var use = LoraTags.Use(tags.Single(), name => name == "x" ? adapter : throw new ArgumentException(name));
        Assert.Equal((te, unet), (use.TextEncoderStrength, use.UnetStrength));
    }

    [Theory]
    [InlineData("<lora:x:abc>", "not a number")]
    [InlineData("<lora:x:1:dyn=3>", "unknown argument dyn")]
    [InlineData("<lora: >", "names no LoRA")]
    public void Bad_lora_tags_are_refused_naming_the_tag(string text, string expected)
    {
        var (_, tags) = ExtraNetworks.Strip("a cat " + text);
        var e = Assert.Throws<ArgumentException>(() => LoraTags.Use(tags.Single(), _ => throw new InvalidOperationException()));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void The_CLI_applies_lora_files_and_prompt_tags_and_refuses_tags_without_a_folder_before_loading()
    {
        var checkpoint = Path.Combine(_files.Dir, "tiny.safetensors");
        _base.Save(checkpoint);
        var loraDir = Path.Combine(_files.Dir, "loras");
        Directory.CreateDirectory(loraDir);
        File.Move(KohyaLora("shiny", 6), Path.Combine(loraDir, "shiny.safetensors"));
        string[] common = { "--checkpoint", checkpoint, "--width", "32", "--height", "32", "--steps", "2", "--seed", "3", "--sampler", "euler" };

        var tagged = Path.Combine(_files.Dir, "tag.png");
        var (code, output) = CliHarness.Sdxl(new[] { "txt2img", "a red circle <lora:shiny:0.6>", "--lora-dir", loraDir, "--out", tagged }.Concat(common).ToArray());
        Assert.True(code == ExitCodes.Ok, output);
        Assert.Contains("lora shiny", output);
        var info = PngTextChunks.Read(File.ReadAllBytes(tagged))["parameters"];
        Assert.Contains("Lora hashes: \"shiny: ", info);

        var file = Path.Combine(_files.Dir, "file.png");
        (code, output) = CliHarness.Sdxl(new[] { "txt2img", "a red circle", "--lora", Path.Combine(loraDir, "shiny.safetensors") + ":0.6", "--out", file }.Concat(common).ToArray());
        Assert.True(code == ExitCodes.Ok, output);
        // The same LoRA at the same strength by file or by tag gives the same pixels (the tag is not in the text the encoders read).
        Assert.Equal(Pixels(tagged), Pixels(file));

        var never = Path.Combine(_files.Dir, "never.png");
        (code, output) = CliHarness.Sdxl(new[] { "txt2img", "a red circle <lora:shiny>", "--out", never }.Concat(common).ToArray());
        Assert.NotEqual(ExitCodes.Ok, code);
        Assert.Contains("give --lora-dir", output);
        (code, output) = CliHarness.Sdxl(new[] { "txt2img", "a red circle <lora:dull>", "--lora-dir", loraDir, "--out", never }.Concat(common).ToArray());
        Assert.NotEqual(ExitCodes.Ok, code);
        Assert.Contains("no LoRA named 'dull'", output);
        Assert.Contains("valid: shiny", output);
        Assert.False(File.Exists(never));
    }

    static float[] Pixels(string path)
    {
        using var image = PngImage.Read(path);
        return image.data<float>().ToArray();
    }
}

/// <summary>Adapters on the refiner: their own list in the refiner step, applied for the refiner phase only.</summary>
public sealed class RefinerAdapterTests : IDisposable
{
    readonly AdapterScratch _files = new();
    readonly SdxlModel _base = SdxlModel.Create(TinyModels.Base);
    readonly SdxlModel _refiner = SdxlModel.Create(TinyModels.Refiner);

    public void Dispose()
    {
        _base.Dispose();
        _refiner.Dispose();
        _files.Dispose();
    }

    /// <summary>A kohya LoRA on a refiner UNet attention projection and on its open_clip's fused k slice.</summary>
    string RefinerLora(string name)
    {
        var g = new TorchSharp.torch.Generator(4);
        const string U = "lora_unet_input_blocks_3_1_transformer_blocks_0_attn2_to_k", T = "lora_te2_text_model_encoder_layers_0_self_attn_k_proj";
        return _files.Write(name, [
            (U + ".lora_down.weight", AdapterScratch.Random(g, 4, 32)), (U + ".lora_up.weight", AdapterScratch.Random(g, 64, 4)), (U + ".alpha", tensor(4f)),
            (T + ".lora_down.weight", AdapterScratch.Random(g, 4, 32)), (T + ".lora_up.weight", AdapterScratch.Random(g, 32, 4)),
        ]);
    }

    GenerationPlan Plan(RefinerMode mode) =>
        TinyPlans.TextToImage(_base, steps: 4, seed: 5, sampler: "euler")
            .WithRefiner(mode == RefinerMode.Handoff ? RefinerStep.Handoff(_refiner, 0.5, new Pipeline.Diffusion.Sampling.EulerEDMSampler(), new Pipeline.Diffusion.Guidance.VanillaCFG(2))
                : RefinerStep.SdEdit(_refiner, 0.5, 3, new Pipeline.Diffusion.Sampling.EulerEDMSampler(), new Pipeline.Diffusion.Guidance.VanillaCFG(2)));

    [Theory]
    [InlineData(RefinerMode.Handoff, AdapterApplication.Merged)]
    [InlineData(RefinerMode.SDEdit, AdapterApplication.Merged)]
    [InlineData(RefinerMode.Handoff, AdapterApplication.OnTheFly)]
    public void A_refiner_adapter_changes_the_refiner_phase_only_and_equals_merging_it_by_hand(RefinerMode mode, AdapterApplication how)
    {
        var adapter = Adapter.Load(RefinerLora("r"), _refiner);
        Assert.Equal(2, adapter.Modules.Count);
        var baseBefore = AdapterScratch.Snapshot(_base);
        var refinerBefore = AdapterScratch.Snapshot(_refiner);
        var plan = Plan(mode);
        var withAdapter = plan with { Refiner = plan.Refiner!.WithAdapters(AdapterUse.Of(adapter, 0.7)), AdapterApplication = how };
        Assert.Contains("for the refiner phase", withAdapter.Describe());
        using var planned = withAdapter.RunLatents();
        Assert.Empty(AdapterScratch.Changed(baseBefore, AdapterScratch.Snapshot(_base)));
        Assert.Empty(AdapterScratch.Changed(refinerBefore, AdapterScratch.Snapshot(_refiner)));
        Tensor byHand;
        using (AdapterMerge.Apply(_refiner, adapter, 0.7)) byHand = plan.RunLatents();
        using var without = plan.RunLatents();
        using (byHand)
        {
            float diff = (byHand - planned).abs().max().item<float>(), effect = (byHand - without).abs().max().item<float>();
            if (how == AdapterApplication.Merged) Assert.True(TinyPlans.Same(byHand, planned));
            else Assert.True(diff < 1e-4f * Math.Max(1f, byHand.abs().max().item<float>()), $"on the fly vs merged: {diff}");
            Assert.True(effect > 100 * Math.Max(diff, 1e-7f), $"the refiner adapter's effect {effect}");
        }
        // The base phase alone is untouched by a refiner adapter.
        using var baseOnly = (withAdapter with { Refiner = null }).RunLatents();
        using var baseOnlyPlain = (plan with { Refiner = null }).RunLatents();
        Assert.True(TinyPlans.Same(baseOnly, baseOnlyPlain));
    }

    [Fact]
    public void A_refiner_adapter_is_recorded_and_one_mapped_for_the_base_is_refused()
    {
        var adapter = Adapter.Load(RefinerLora("rl"), _refiner);
        var plan = Plan(RefinerMode.SDEdit);
        var withAdapter = plan with { Refiner = plan.Refiner!.WithAdapters(AdapterUse.Of(adapter, 0.5)) };
        using (var result = withAdapter.Run())
        {
            var extra = result.Parameters[0].Extra!;
            Assert.Equal($"rl: {adapter.Hashes.Short}", extra["Refiner Lora hashes"]);
            Assert.Equal("rl: 0.5", extra["Refiner Lora"]);
            Assert.False(extra.ContainsKey("Lora hashes"));
        }
        var forBase = Adapter.Load(_files.Write("b", [
            ("lora_unet_input_blocks_3_1_transformer_blocks_0_attn1_to_q.lora_down.weight", AdapterScratch.Random(new TorchSharp.torch.Generator(1), 4, 64)),
            ("lora_unet_input_blocks_3_1_transformer_blocks_0_attn1_to_q.lora_up.weight", AdapterScratch.Random(new TorchSharp.torch.Generator(2), 64, 4)),
        ]), _base);
        var wrong = plan with { Refiner = plan.Refiner!.WithAdapters(AdapterUse.Of(forBase, 1)) };
        var problem = Assert.Single(wrong.Problems());
        Assert.Equal("refiner adapter 'b' was mapped for model config 'tiny-base', the refiner is 'tiny-refiner'", problem);
    }

    [Fact]
    public void The_CLI_applies_refiner_loras_and_refuses_them_without_a_refiner()
    {
        string checkpoint = Path.Combine(_files.Dir, "base.safetensors"), refiner = Path.Combine(_files.Dir, "refiner.safetensors");
        _base.Save(checkpoint);
        _refiner.Save(refiner);
        var lora = RefinerLora("polish");
        string[] common = { "--checkpoint", checkpoint, "--width", "32", "--height", "32", "--steps", "4", "--seed", "3", "--sampler", "euler" };
        var out1 = Path.Combine(_files.Dir, "r.png");
        var (code, output) = CliHarness.Sdxl(new[] { "txt2img", "a red circle", "--refiner", refiner, "--refiner-lora", lora + ":0.5", "--out", out1 }.Concat(common).ToArray());
        Assert.True(code == ExitCodes.Ok, output);
        Assert.Contains("refiner lora polish", output);
        var info = PngTextChunks.Read(File.ReadAllBytes(out1))["parameters"];
        Assert.Contains("Refiner Lora: \"polish: 0.5\"", info);
        (code, output) = CliHarness.Sdxl(new[] { "txt2img", "a red circle", "--refiner-lora", lora, "--out", Path.Combine(_files.Dir, "n.png") }.Concat(common).ToArray());
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--refiner-lora needs --refiner", output);
        // A missing file is refused before any model loads.
        (code, output) = CliHarness.Sdxl(new[] { "txt2img", "a red circle", "--refiner", refiner, "--refiner-lora", Path.Combine(_files.Dir, "x.safetensors"), "--out", Path.Combine(_files.Dir, "n.png") }.Concat(common).ToArray());
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Contains("--refiner-lora: no such file", output);
    }
}

/// <summary>On-the-fly adapters (forward hooks) against merged ones.</summary>
public sealed class AdapterHookTests : IDisposable
{
    readonly AdapterScratch _files = new();
    readonly SdxlModel _base = SdxlModel.Create(TinyModels.Base);

    public void Dispose()
    {
        _base.Dispose();
        _files.Dispose();
    }

    /// <summary>A kohya LoRA (rank 4) on three UNet Linear layers; with text encoders also on CLIP-L q/fc1 and on open_clip's
    /// fused v slice, out_proj and fc2 (HF names, as kohya writes them); with a conv, also on a UNet 3×3 conv.</summary>
    string Lora(string name, bool withTextEncoders = false, bool withConv = false)
    {
        var g = new TorchSharp.torch.Generator(9);
        var tensors = new List<(string, Tensor)>();
        void Add(string module, long outF, long inF, float? alpha = 2f)
        {
            tensors.Add((module + ".lora_down.weight", AdapterScratch.Random(g, 4, inF)));
            tensors.Add((module + ".lora_up.weight", AdapterScratch.Random(g, outF, 4)));
            if (alpha is { } a) tensors.Add((module + ".alpha", tensor(a)));
        }
        Add("lora_unet_input_blocks_3_1_transformer_blocks_0_attn2_to_k", 64, 48);
        Add("lora_unet_input_blocks_3_1_transformer_blocks_0_attn1_to_q", 64, 64);
        Add("lora_unet_input_blocks_3_1_proj_in", 64, 64);
        if (withTextEncoders)
        {
            Add("lora_te1_text_model_encoder_layers_0_self_attn_q_proj", 16, 16, null);
            Add("lora_te1_text_model_encoder_layers_1_mlp_fc1", 32, 16);
            Add("lora_te2_text_model_encoder_layers_0_self_attn_v_proj", 32, 32);
            Add("lora_te2_text_model_encoder_layers_1_self_attn_out_proj", 32, 32);
            Add("lora_te2_text_model_encoder_layers_0_mlp_fc2", 32, 64);
        }
        if (withConv)
        {
            tensors.Add(("lora_unet_input_blocks_1_0_in_layers_2.lora_down.weight", AdapterScratch.Random(g, 4, 32, 3, 3)));
            tensors.Add(("lora_unet_input_blocks_1_0_in_layers_2.lora_up.weight", AdapterScratch.Random(g, 32, 4, 1, 1)));
        }
        return _files.Write(name, tensors);
    }

    GenerationPlan Plan() => TinyPlans.TextToImage(_base, steps: 3, seed: 5, sampler: "euler");

    [Fact]
    public void On_the_fly_equals_merged_within_float32_error_and_leaves_the_weights_untouched()
    {
        var adapter = Adapter.Load(Lora("u", withTextEncoders: true), _base);
        Assert.Equal(8, adapter.Modules.Count);
        var before = AdapterScratch.Snapshot(_base);
        using var merged = Plan().WithAdapters(AdapterUse.Of(adapter, 0.9)).RunLatents();
        using var hooked = (Plan().WithAdapters(AdapterUse.Of(adapter, 0.9)) with { AdapterApplication = AdapterApplication.OnTheFly }).RunLatents();
        Assert.Empty(AdapterScratch.Changed(before, AdapterScratch.Snapshot(_base)));
        using var without = Plan().RunLatents();
        float diff = (merged - hooked).abs().max().item<float>(), effect = (merged - without).abs().max().item<float>();
        Assert.True(diff < 1e-4f * Math.Max(1f, merged.abs().max().item<float>()), $"on the fly vs merged: {diff}");
        Assert.True(effect > 100 * diff, $"the adapter's effect {effect} must dwarf the difference {diff}");
        // The hooks are gone after the run: the same plan without adapters is bit-identical to a fresh one.
        using var again = Plan().RunLatents();
        Assert.True(TinyPlans.Same(without, again));
    }

    [Fact]
    public void On_the_fly_text_encoder_strength_scales_only_the_text_encoders()
    {
        var adapter = Adapter.Load(Lora("te", withTextEncoders: true), _base);
        var use = new AdapterUse(adapter, UnetStrength: 0, TextEncoderStrength: 1.3);
        using var merged = Plan().WithAdapters(use).RunLatents();
        using var hooked = (Plan().WithAdapters(use) with { AdapterApplication = AdapterApplication.OnTheFly }).RunLatents();
        using var without = Plan().RunLatents();
        float diff = (merged - hooked).abs().max().item<float>(), effect = (merged - without).abs().max().item<float>();
        Assert.True(diff < 1e-4f * Math.Max(1f, merged.abs().max().item<float>()), $"on the fly vs merged: {diff}");
        Assert.True(effect > 100 * diff, $"the text encoders' effect {effect} must dwarf the difference {diff}");
    }

    [Fact]
    public void Modules_that_cannot_run_on_the_fly_are_refused_naming_them()
    {
        var adapter = Adapter.Load(Lora("conv", withTextEncoders: true, withConv: true), _base);
        var e = Assert.Throws<ArgumentException>(() => AdapterHooks.Attach(_base, [AdapterUse.Of(adapter, 1)]));
        Assert.StartsWith("1 adapter modules cannot run on the fly", e.Message);
        Assert.Contains("input_blocks_1_0_in_layers_2", e.Message);
        Assert.Contains("merge instead", e.Message);
    }

    [Fact]
    public void Attaching_and_removing_leaves_no_live_tensors()
    {
        var adapter = Adapter.Load(Lora("leak", withTextEncoders: true), _base);
        AdapterHooks.Attach(_base, [AdapterUse.Of(adapter, 1)]).Dispose();
        long before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        using (var hooks = AdapterHooks.Attach(_base, [AdapterUse.Of(adapter, 1)])) Assert.Equal(8, hooks.Count);
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}
