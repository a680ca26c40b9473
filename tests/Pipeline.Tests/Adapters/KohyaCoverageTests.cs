using System.Diagnostics;
using Pipeline.Adapters;
using Pipeline.Models.Bundles;
using Pipeline.Tests.Goldens;
using Pipeline.Tests.Models;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Adapters;

/// <summary>
/// On the FULL-SIZE SDXL base built on the meta device: every module kohya's sd-scripts SDXL LoRA trains by default
/// (networks/lora.py: Linear/Conv2d children of <c>Transformer2DModel</c> in the UNet, of <c>CLIPAttention</c> and
/// <c>CLIPMLP</c> in both text encoders; with <c>conv_dim</c>, LoCon also those of <c>ResnetBlock2D</c>,
/// <c>Downsample2D</c>, <c>Upsample2D</c>) maps to exactly one weight or slice, the one named here; the same modules named
/// the diffusers/PEFT way map to the same targets. The expected modules come from the manifests of the released files.
/// </summary>
public class KohyaCoverageTests(ITestOutputHelper output) : IDisposable
{
    readonly AdapterScratch _files = new();

    public void Dispose() => _files.Dispose();

    static string Manifests => RepositoryPaths.FromEnvironment("PIPELINE_MANIFESTS", "tests/reference/manifests");

    const string UnetPrefix = "model.diffusion_model.";
    const string ClipPrefix = "conditioner.embedders.0.transformer.";
    const string OpenClipPrefix = "conditioner.embedders.1.model.";

    /// <summary>A kohya module: its LoRA name, the sgm/HF module path, the expected parameter, row slice, transposition and delta shape.</summary>
    sealed record Expect(string Kohya, string Diffusers, string Parameter, RowSlice? Rows, long[] Delta);

    static IReadOnlyDictionary<string, Manifest.Entry> Read(string file) => Manifest.Read(Path.Combine(Manifests, file));

    /// <summary>UNet: every weight under a transformer (proj_in/out, attn1/2 to_q/k/v/to_out.0, ff.net.0.proj, ff.net.2), and optionally the LoCon conv targets.</summary>
    static List<Expect> UnetModules(bool locon)
    {
        var manifest = Read("sdxl_base_unet.tsv");
        var weights = manifest.Where(kv => kv.Key.EndsWith(".weight", StringComparison.Ordinal)).ToDictionary(kv => kv.Key[UnetPrefix.Length..^".weight".Length], kv => kv.Value.Shape);
        var transformers = weights.Keys.Where(k => k.EndsWith(".proj_in", StringComparison.Ordinal)).Select(k => k[..^".proj_in".Length]).ToList();
        var resnets = weights.Keys.Where(k => k.EndsWith(".in_layers.2", StringComparison.Ordinal)).Select(k => k[..^".in_layers.2".Length]).ToList();
        bool InTransformer(string m) => transformers.Any(t => m.StartsWith(t + ".", StringComparison.Ordinal));
        bool InResnet(string m) => resnets.Any(r => m.StartsWith(r + ".", StringComparison.Ordinal));
        bool Sampler(string m) => m.EndsWith(".op", StringComparison.Ordinal) || (m.StartsWith("output_blocks.", StringComparison.Ordinal) && m.EndsWith(".conv", StringComparison.Ordinal));
        return weights
            .Where(kv => (InTransformer(kv.Key) && kv.Value.Length == 2) || (locon && (InResnet(kv.Key) && kv.Value.Length >= 2 || Sampler(kv.Key))))
            .Select(kv => new Expect("lora_unet_" + kv.Key.Replace('.', '_'), "unet." + SdxlDiffusersNames.Of(kv.Key), UnetPrefix + kv.Key + ".weight", null, kv.Value))
            .OrderBy(e => e.Kohya, StringComparer.Ordinal).ToList();
    }

    static readonly string[] ClipModules = ["self_attn.q_proj", "self_attn.k_proj", "self_attn.v_proj", "self_attn.out_proj", "mlp.fc1", "mlp.fc2"];

    static List<Expect> Te1Modules()
    {
        var manifest = Read("sdxl_clip_l_text.tsv");
        return Enumerable.Range(0, 12).SelectMany(n => ClipModules.Select(m =>
        {
            var hf = $"text_model.encoder.layers.{n}.{m}";
            return new Expect("lora_te1_" + hf.Replace('.', '_'), "text_encoder." + hf, ClipPrefix + hf + ".weight", null, manifest[ClipPrefix + hf + ".weight"].Shape);
        })).ToList();
    }

    /// <summary>bigG under HF names: q/k/v are row slices of the fused in_proj_weight; the rest are open_clip's own modules.</summary>
    static List<Expect> Te2Modules()
    {
        var manifest = Read("sdxl_openclip_bigg_text.tsv");
        int layers = manifest.Keys.Count(k => k.EndsWith(".attn.in_proj_weight", StringComparison.Ordinal));
        Assert.Equal(32, layers);
        const long W = 1280;
        var list = new List<Expect>();
        for (int n = 0; n < layers; n++)
        {
            var block = $"{OpenClipPrefix}transformer.resblocks.{n}.";
            Assert.Equal([3 * W, W], manifest[block + "attn.in_proj_weight"].Shape);
            (string Hf, string Parameter, RowSlice? Rows)[] map =
            [
                ("self_attn.q_proj", "attn.in_proj_weight", new RowSlice(0, W)), ("self_attn.k_proj", "attn.in_proj_weight", new RowSlice(W, W)),
                ("self_attn.v_proj", "attn.in_proj_weight", new RowSlice(2 * W, W)), ("self_attn.out_proj", "attn.out_proj.weight", null),
                ("mlp.fc1", "mlp.c_fc.weight", null), ("mlp.fc2", "mlp.c_proj.weight", null),
            ];
            foreach (var (m, p, rows) in map)
            {
                var hf = $"text_model.encoder.layers.{n}.{m}";
                var shape = manifest[block + p].Shape.ToArray();
                if (rows is not null) shape[0] = rows.Length;
                list.Add(new Expect("lora_te2_" + hf.Replace('.', '_'), "text_encoder_2." + hf, block + p, rows, shape));
            }
        }
        return list;
    }

    /// <summary>Rank-1 factors for every module (tiny files, real shapes): kohya names or the diffusers/PEFT ones.</summary>
    string Write(string name, IEnumerable<Expect> modules, bool diffusers)
    {
        using var scope = NewDisposeScope();
        var tensors = new List<(string, Tensor)>();
        foreach (var m in modules)
        {
            var key = diffusers ? m.Diffusers : m.Kohya;
            var downShape = m.Delta.Skip(1).Prepend(1L).ToArray();
            var upShape = m.Delta.Length == 4 ? new long[] { m.Delta[0], 1, 1, 1 } : [m.Delta[0], 1];
            tensors.Add((key + (diffusers ? ".lora_A.weight" : ".lora_down.weight"), zeros(downShape, ScalarType.Float16)));
            tensors.Add((key + (diffusers ? ".lora_B.weight" : ".lora_up.weight"), zeros(upShape, ScalarType.Float16)));
            if (!diffusers) tensors.Add((key + ".alpha", tensor(1f)));
        }
        return _files.Write(name, tensors);
    }

    void AssertMaps(Adapter adapter, IReadOnlyList<Expect> expected, bool diffusers)
    {
        Assert.True(adapter.Report.Complete, string.Join("\n", adapter.Report.Warnings()));
        Assert.Equal(expected.Count, adapter.Modules.Count);
        var byName = adapter.Modules.ToDictionary(m => m.Name);
        var wrong = new List<string>();
        foreach (var e in expected)
        {
            var name = diffusers ? e.Diffusers : e.Kohya;
            if (!byName.TryGetValue(name, out var module)) { wrong.Add($"{name}: not mapped"); continue; }
            if (module.Target.Parameter != e.Parameter || module.Target.Rows != e.Rows || module.Target.Transposed || !module.Target.DeltaShape.SequenceEqual(e.Delta))
                wrong.Add($"{name}: {module.Target}, expected {e.Parameter}{e.Rows}");
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong.Take(20)));
        // exactly one weight or slice per module: no two modules share a target
        Assert.Equal(adapter.Modules.Count, adapter.Modules.Select(m => (m.Target.Parameter, m.Target.Rows)).Distinct().Count());
    }

    [Fact]
    public void Every_default_kohya_SDXL_target_and_its_diffusers_name_map_to_one_weight_of_the_full_size_base()
    {
        var clock = Stopwatch.StartNew();
        var index = AdapterTargetIndex.For(SdxlModelConfig.SdxlBase);
        output.WriteLine($"index of the full-size base on meta: {index.Count} names in {clock.ElapsedMilliseconds} ms");

        var unet = UnetModules(locon: false);
        var te1 = Te1Modules();
        var te2 = Te2Modules();
        Assert.Equal(722, unet.Count);   // kohya: "create LoRA for U-Net: 722 modules"
        Assert.Equal(72, te1.Count);     // "create LoRA for Text Encoder 1: 72 modules"
        Assert.Equal(192, te2.Count);    // "create LoRA for Text Encoder 2: 192 modules"
        var all = unet.Concat(te1).Concat(te2).ToList();

        clock.Restart();
        var kohya = Adapter.Load(Write("kohya", all, diffusers: false), index);
        output.WriteLine($"kohya: {kohya.Report.Summary()} in {clock.ElapsedMilliseconds} ms");
        AssertMaps(kohya, all, diffusers: false);

        var peft = Adapter.Load(Write("peft", all, diffusers: true), index);
        output.WriteLine($"diffusers/PEFT: {peft.Report.Summary()}");
        AssertMaps(peft, all, diffusers: true);
        var kohyaTargets = kohya.Modules.ToDictionary(m => m.Name, m => m.Target);
        foreach (var e in all)
            Assert.Equal(kohyaTargets[e.Kohya], peft.Modules.Single(m => m.Name == e.Diffusers).Target);
    }

    [Fact]
    public void With_conv_dim_LoCon_also_covers_every_resnet_downsampler_and_upsampler_of_the_full_size_base()
    {
        var index = AdapterTargetIndex.For(SdxlModelConfig.SdxlBase);
        var locon = UnetModules(locon: true);
        var extra = locon.Count - 722;
        // 17 resnets × (in_layers.2, emb_layers.1, out_layers.3) + 11 skip connections + 2 downsamplers + 2 upsamplers
        Assert.Equal(17 * 3 + 11 + 2 + 2, extra);
        var adapter = Adapter.Load(Write("locon", locon, diffusers: false), index);
        AssertMaps(adapter, locon, diffusers: false);
        var peft = Adapter.Load(Write("locon-diffusers", locon, diffusers: true), index);
        AssertMaps(peft, locon, diffusers: true);
        output.WriteLine($"LoCon: {locon.Count} UNet modules ({extra} conv-block ones)");
    }

    [Fact]
    public void An_unmapped_kohya_name_is_reported_and_a_file_of_only_unmapped_names_is_an_error()
    {
        var index = AdapterTargetIndex.For(SdxlModelConfig.SdxlBase);
        using var scope = NewDisposeScope();
        var good = _files.Write("partly", [
            ("lora_unet_input_blocks_4_1_proj_in.lora_down.weight", zeros(1, 640)), ("lora_unet_input_blocks_4_1_proj_in.lora_up.weight", zeros(640, 1)),
            ("lora_unet_input_blocks_1_1_proj_in.lora_down.weight", zeros(1, 320)), ("lora_unet_input_blocks_1_1_proj_in.lora_up.weight", zeros(320, 1)),
        ]);
        var adapter = Adapter.Load(good, index);
        Assert.Equal(2, adapter.Report.Unknown.Count);
        Assert.All(adapter.Report.Unknown, k => Assert.Contains("input_blocks_1_1_proj_in", k.Reason));
        var bad = _files.Write("sd15", [
            ("lora_unet_down_blocks_0_attentions_0_proj_in.lora_down.weight", zeros(1, 320)), ("lora_unet_down_blocks_0_attentions_0_proj_in.lora_up.weight", zeros(320, 1)),
            ("lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight", zeros(1, 768)), ("lora_te_text_model_encoder_layers_0_mlp_fc1.lora_up.weight", zeros(3072, 1)),
        ]);
        var e = Assert.Throws<ArgumentException>(() => Adapter.Load(bad, index));
        Assert.Contains("lora_unet_down_blocks_0_attentions_0_proj_in", e.Message);
        Assert.Contains("none of its 4 tensors", e.Message);
    }
}
