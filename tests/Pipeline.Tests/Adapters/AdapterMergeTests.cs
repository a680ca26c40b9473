using System.Diagnostics;
using System.Security.Cryptography;
using Pipeline.Adapters;
using Pipeline.Models.Bundles;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static Pipeline.Tests.Adapters.AdapterScratch;
using static TorchSharp.torch;

namespace Pipeline.Tests.Adapters;

/// <summary>
/// Merged application: strength 0 is no change bit for bit, dispose restores bit for bit (fp32 and fp16 weights),
/// stacking adds the deltas, the fused q/k/v slices get exactly their deltas, UNet and text-encoder strengths are
/// separate, one merge per model, no tensors leak; and the report, hashes and timings.
/// </summary>
public class AdapterMergeTests(ITestOutputHelper output) : IDisposable
{
    readonly AdapterScratch _files = new();
    readonly Generator _g = new(99);

    public void Dispose()
    {
        _files.Dispose();
        _g.Dispose();
    }

    /// <summary>A kohya LoRA of rank <paramref name="rank"/> on every attention/ff/proj Linear of the tiny base's UNet and both text encoders.</summary>
    string KohyaEverywhere(string name, SdxlModel model, int rank, Generator g)
    {
        using var scope = NewDisposeScope();
        var index = AdapterTargetIndex.For(model);
        var tensors = new List<(string, Tensor)>();
        foreach (var (component, flat, targets) in index.Entries.OrderBy(e => e.FlatName, StringComparer.Ordinal))
        {
            bool block = flat.StartsWith("input_blocks_", StringComparison.Ordinal) || flat.StartsWith("middle_block_", StringComparison.Ordinal)
                || flat.StartsWith("output_blocks_", StringComparison.Ordinal);
            bool transformerLinear = flat.Contains("_transformer_blocks_") || flat.EndsWith("_proj_in") || flat.EndsWith("_proj_out");
            bool unet = component == AdapterComponent.Unet && block && transformerLinear && targets.Weight.ParameterShape.Count == 2;
            bool text = component != AdapterComponent.Unet && (flat.Contains("_self_attn_") || flat.Contains("_mlp_fc"));
            if (!unet && !text) continue;
            var shape = targets.Weight.DeltaShape;
            var key = $"lora_{component.ShortName()}_{flat}";
            tensors.Add(($"{key}.lora_down.weight", Random(g, rank, shape[1])));
            tensors.Add(($"{key}.lora_up.weight", Random(g, shape[0], rank)));
            tensors.Add(($"{key}.alpha", tensor(rank / 2f)));
        }
        return _files.Write(name, tensors);
    }

    [Fact]
    public void Strength_zero_changes_nothing_bit_for_bit_and_touches_nothing()
    {
        using var model = TinyBase();
        var adapter = Adapter.Load(KohyaEverywhere("a", model, 4, _g), model);
        var before = Snapshot(model);
        using (var merge = AdapterMerge.Apply(model, [new AdapterUse(adapter, 0, 0)]))
        {
            Assert.Empty(merge.Touched);
            Assert.Empty(Changed(before, Snapshot(model)));
        }
        Assert.Empty(Changed(before, Snapshot(model)));
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    public void Apply_then_dispose_restores_every_tensor_bit_for_bit(ScalarType dtype)
    {
        using var model = TinyBase(dtype);
        var adapter = Adapter.Load(KohyaEverywhere("a", model, 4, _g), model);
        var before = Snapshot(model);
        var merge = AdapterMerge.Apply(model, adapter, 1.3);
        var changed = Changed(before, Snapshot(model));
        Assert.Equal(adapter.Modules.Select(m => m.Target.Parameter).Distinct().Count(), changed.Count);
        merge.Dispose();
        Assert.Empty(Changed(before, Snapshot(model)));
        merge.Dispose(); // idempotent
        Assert.Empty(Changed(before, Snapshot(model)));
    }

    [Fact]
    public void Half_precision_weights_get_the_float32_sum_cast_once()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase(ScalarType.Float16);
        Tensor d = Random(_g, 4, 64), u = Random(_g, 64, 4);
        var path = _files.Write("h", [("lora_unet_input_blocks_3_1_proj_in.lora_down.weight", d.half()), ("lora_unet_input_blocks_3_1_proj_in.lora_up.weight", u.half())]);
        var adapter = Adapter.Load(path, model);
        const string P = Unet + "input_blocks.3.1.proj_in.weight";
        var before = Copy(model, P).to(ScalarType.Float64);
        var exact = before + Expected.Lora(u.half(), d.half(), 1.0).mul(0.7);
        using (AdapterMerge.Apply(model, adapter, 0.7))
        {
            // Cast once: every element is the exact sum rounded to fp16 (within half a unit in the last place, plus the
            // float32 error of the sum, far below 1e-6 here); rounding the delta to fp16 first and then adding would be off by up to
            // 1.5 units (about 3e-5 at these magnitudes).
            var merged = Copy(model, P).to(ScalarType.Float64);
            var ulp = exp2(floor(log2(exact.abs().clamp_min(6.1e-5))) - 10);
            var excess = ((merged - exact).abs() - ulp * 0.5 * (1 + 1e-3)).max().item<double>();
            Assert.True(excess <= 1e-6, $"an element is {excess} beyond half an fp16 ulp of the exact sum");
        }
    }

    [Fact]
    public void Two_adapters_stack_as_the_sum_of_their_deltas()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        Tensor d1 = Random(_g, 4, 64), u1 = Random(_g, 64, 4), h1 = Random(_g, 64, 2), h2 = Random(_g, 2, 64), h3 = Random(_g, 64, 2), h4 = Random(_g, 2, 64);
        Tensor dt = Random(_g, 2, 32), ut = Random(_g, 32, 2);
        const string M = "lora_unet_input_blocks_3_1_transformer_blocks_0_attn1_to_q";
        var a = Adapter.Load(_files.Write("a", [(M + ".lora_down.weight", d1), (M + ".lora_up.weight", u1), (M + ".alpha", tensor(2f)),
            ("lora_te2_text_model_encoder_layers_0_self_attn_v_proj.lora_down.weight", dt), ("lora_te2_text_model_encoder_layers_0_self_attn_v_proj.lora_up.weight", ut)]), model);
        var b = Adapter.Load(_files.Write("b", [(M + ".hada_w1_a", h1), (M + ".hada_w1_b", h2), (M + ".hada_w2_a", h3), (M + ".hada_w2_b", h4)]), model);
        MergeCheck.Merged(model, [new AdapterUse(a, 0.7, -0.5), new AdapterUse(b, -0.4, 2.0)], new Dictionary<string, Tensor>
        {
            [Unet + "input_blocks.3.1.transformer_blocks.0.attn1.to_q.weight"] =
                Expected.Lora(u1, d1, 0.5).mul(0.7) + Expected.Loha(h1, h2, h3, h4, 1.0, [64, 64]).mul(-0.4),
            [Te2 + "transformer.resblocks.0.attn.in_proj_weight"] = Expected.InRows([96, 32], 64, Expected.Lora(ut, dt, 1.0).mul(-0.5)),
        });
    }

    [Fact]
    public void A_q_delta_changes_exactly_the_q_rows_of_the_fused_in_proj_weight()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        Tensor d = Random(_g, 4, 32), u = Random(_g, 32, 4), db = Random(_g, 32);
        var path = _files.Write("q", [
            ("lora_te2_text_model_encoder_layers_1_self_attn_q_proj.lora_down.weight", d), ("lora_te2_text_model_encoder_layers_1_self_attn_q_proj.lora_up.weight", u),
            ("lora_te2_text_model_encoder_layers_0_self_attn_v_proj.diff_b", db)]);
        var adapter = Adapter.Load(path, model);
        Assert.Equal("[0:32]", adapter.Modules.Single(m => m.Delta is LoraDelta).Target.Rows!.ToString());
        const string W = Te2 + "transformer.resblocks.1.attn.in_proj_weight", B = Te2 + "transformer.resblocks.0.attn.in_proj_bias";
        var before = Snapshot(model);
        var w0 = Copy(model, W);
        var b0 = Copy(model, B);
        using (AdapterMerge.Apply(model, adapter, 1.0))
        {
            Assert.Equal([B, W], Changed(before, Snapshot(model)));
            var w1 = Copy(model, W);
            Assert.True(RelativeError(w1.narrow(0, 0, 32) - w0.narrow(0, 0, 32), Expected.Lora(u, d, 1.0)) <= MergeCheck.Tolerance);
            Assert.True(SameBits(w1.narrow(0, 32, 64), w0.narrow(0, 32, 64)), "k and v rows changed");
            var b1 = Copy(model, B);
            Assert.True(SameBits(b1.narrow(0, 0, 64), b0.narrow(0, 0, 64)), "q and k bias rows changed");
            Assert.True(RelativeError(b1.narrow(0, 64, 32) - b0.narrow(0, 64, 32), db) <= MergeCheck.Tolerance);
        }
        Assert.Empty(Changed(before, Snapshot(model)));
    }

    static bool SameBits(Tensor a, Tensor b) => a.contiguous().bytes.SequenceEqual(b.contiguous().bytes);

    [Fact]
    public void UNet_and_text_encoder_strengths_are_separate()
    {
        using var model = TinyBase();
        var adapter = Adapter.Load(KohyaEverywhere("a", model, 2, _g), model);
        var before = Snapshot(model);
        using (AdapterMerge.Apply(model, [new AdapterUse(adapter, UnetStrength: 0, TextEncoderStrength: 1)]))
        {
            var changed = Changed(before, Snapshot(model));
            Assert.NotEmpty(changed);
            Assert.All(changed, n => Assert.StartsWith("conditioner.", n));
        }
        using (AdapterMerge.Apply(model, [new AdapterUse(adapter, UnetStrength: 1, TextEncoderStrength: 0)]))
        {
            var changed = Changed(before, Snapshot(model));
            Assert.NotEmpty(changed);
            Assert.All(changed, n => Assert.StartsWith(Unet, n));
        }
    }

    [Fact]
    public void One_merge_per_model_at_a_time_and_bad_uses_are_refused_before_any_change()
    {
        using var model = TinyBase();
        var adapter = Adapter.Load(KohyaEverywhere("a", model, 2, _g), model);
        var before = Snapshot(model);
        Assert.Contains("finite", Assert.Throws<ArgumentException>(() => AdapterMerge.Apply(model, adapter, double.NaN)).Message);
        using (AdapterMerge.Apply(model, adapter, 1.0))
            Assert.Throws<InvalidOperationException>(() => AdapterMerge.Apply(model, adapter, 1.0));
        Assert.Empty(Changed(before, Snapshot(model)));
        using (AdapterMerge.Apply(model, adapter, 1.0)) { }
        Assert.Empty(Changed(before, Snapshot(model)));

        using var refiner = SdxlModel.Create(SdxlModelConfig.TinyRefiner);
        Assert.Contains("was mapped for 'tiny-base'", Assert.Throws<ArgumentException>(() => AdapterMerge.Apply(refiner, adapter, 1.0)).Message);
        using var meta = SdxlModel.Create(Pipeline.Tests.Stages.TinyModels.Base, META);
        Assert.Contains("meta device", Assert.Throws<ArgumentException>(() => AdapterMerge.Apply(meta, adapter, 1.0)).Message);
    }

    [Fact]
    public void Load_apply_and_restore_leave_no_live_tensors()
    {
        using var model = TinyBase();
        var path = KohyaEverywhere("a", model, 4, _g);
        Adapter.Load(path, model); // warm up lazily created state
        using (AdapterMerge.Apply(model, Adapter.Load(path, model), 1.0)) { }
        long live = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        var adapter = Adapter.Load(path, model);
        Adapter.Load(path, Pipeline.Tests.Stages.TinyModels.Base); // through a meta-device build of the config
        using (AdapterMerge.Apply(model, adapter, 0.5)) { }
        using (AdapterMerge.Apply(model, [new AdapterUse(adapter, 1, 0), new AdapterUse(adapter, 0, 1)])) { }
        Assert.Equal(live, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }

    [Fact]
    public void Report_lists_every_key_and_the_hashes_are_A1111s_addnet_hash()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        Tensor d = Random(_g, 2, 64), u = Random(_g, 64, 2);
        var path = _files.Write("My:Lora,1", [
            ("lora_unet_input_blocks_3_1_proj_in.lora_down.weight", d), ("lora_unet_input_blocks_3_1_proj_in.lora_up.weight", u),
            ("lora_unet_input_blocks_3_1_proj_out.lora_down.weight", d), ("lora_unet_input_blocks_3_1_proj_out.lora_up.weight", u),
            ("lora_unet_input_blocks_3_1_proj_out.dora_scale", Random(_g, 64, 1)),
            ("lora_unet_input_blocks_3_1_norm.w_norm", Random(_g, 64)),
            ("lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight", d),
            ("something_else", d),
        ], new Dictionary<string, string> { ["ss_network_dim"] = "2" });
        var adapter = Adapter.Load(path, model);
        output.WriteLine(adapter.ToString());
        foreach (var line in adapter.Report.Keys) output.WriteLine(line.ToString());
        Assert.Equal(8, adapter.Report.Keys.Count);
        Assert.Equal(2, adapter.Report.Applied.Count);
        Assert.All(adapter.Report.Applied, k => Assert.Equal(Unet + "input_blocks.3.1.proj_in.weight", k.Target!.Parameter));
        Assert.Equal(4, adapter.Report.Unsupported.Count);
        Assert.All(adapter.Report.Unsupported.Where(k => k.Key.Contains("proj_out")), k => Assert.Contains("DoRA", k.Reason));
        Assert.Contains("LyCORIS norm", adapter.Report.Unsupported.Single(k => k.Key.EndsWith("w_norm")).Reason);
        Assert.Contains("SD 1.x", adapter.Report.Unknown.Single(k => k.Key.StartsWith("lora_te_")).Reason);
        Assert.Equal(2, adapter.Report.Unknown.Count);
        Assert.Equal(4, adapter.Report.Warnings().Count);
        Assert.Equal("2", adapter.Metadata["ss_network_dim"]);

        var bytes = File.ReadAllBytes(path);
        long header = BitConverter.ToInt64(bytes, 0);
        var addnet = Convert.ToHexString(SHA256.HashData(bytes.AsSpan((int)(8 + header)))).ToLowerInvariant();
        Assert.Equal(addnet, adapter.Hashes.Addnet);
        Assert.Equal(addnet[..12], adapter.Hashes.Short);
        Assert.Equal($"MyLora1: {addnet[..12]}", AdapterInfotext.LoraHashes([AdapterUse.Of(adapter, 1)]));
        Assert.Null(AdapterInfotext.LoraHashes([]));
    }

    [Fact]
    public void Timing_of_merging_a_rank_32_kohya_lora_into_the_tiny_base()
    {
        using var model = TinyBase();
        var path = KohyaEverywhere("r32", model, 32, _g);
        var clock = Stopwatch.StartNew();
        var adapter = Adapter.Load(path, model);
        var load = clock.Elapsed;
        clock.Restart();
        var merge = AdapterMerge.Apply(model, adapter, 1.0);
        var apply = clock.Elapsed;
        clock.Restart();
        merge.Dispose();
        var restore = clock.Elapsed;
        output.WriteLine($"rank-32 kohya LoRA, {adapter.Modules.Count} modules, {new FileInfo(path).Length / 1024} KiB: load {load.TotalMilliseconds:F1} ms, merge {apply.TotalMilliseconds:F1} ms, restore {restore.TotalMilliseconds:F1} ms");
    }
}
