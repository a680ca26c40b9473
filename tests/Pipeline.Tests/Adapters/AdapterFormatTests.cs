using Pipeline.Adapters;
using Xunit;
using static Pipeline.Tests.Adapters.AdapterScratch;
using static TorchSharp.torch;

namespace Pipeline.Tests.Adapters;

/// <summary>
/// Every supported format, written by the test with known factors for the tiny base: the merged change of each target
/// equals the format's formula computed independently (<see cref="Expected"/>), nothing else changes, and disposing
/// restores the model bit for bit.
/// </summary>
public class AdapterFormatTests : IDisposable
{
    readonly AdapterScratch _files = new();
    readonly Generator _g = new Generator(1234);

    public void Dispose()
    {
        _files.Dispose();
        _g.Dispose();
    }

    Tensor R(params long[] shape) => Random(_g, shape);

    static Tensor Alpha(double v) => tensor((float)v);

    const string Q = Unet + "input_blocks.3.1.transformer_blocks.0.attn1.to_q.weight";
    const string K2 = Unet + "input_blocks.3.1.transformer_blocks.0.attn2.to_k.weight";

    [Fact]
    public void Kohya_lora_on_linear_layers_is_up_times_down_times_alpha_over_rank()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        Tensor d1 = R(4, 64), u1 = R(64, 4), d2 = R(3, 48), u2 = R(64, 3), d3 = R(2, 48), u3 = R(64, 2);
        const string P = "lora_unet_input_blocks_3_1_transformer_blocks_0_";
        var path = _files.Write("kohya", [
            (P + "attn1_to_q.lora_down.weight", d1), (P + "attn1_to_q.lora_up.weight", u1), (P + "attn1_to_q.alpha", Alpha(2)),
            (P + "attn2_to_k.lora_down.weight", d2), (P + "attn2_to_k.lora_up.weight", u2), // no alpha: scale 1
            (P + "attn2_to_v.lora_down.weight", d3), (P + "attn2_to_v.lora_up.weight", u3), (P + "attn2_to_v.alpha", Alpha(0)), // alpha 0: scale 1
        ]);
        var adapter = Adapter.Load(path, model);
        Assert.True(adapter.Report.Complete, string.Join("\n", adapter.Report.Warnings()));
        Assert.Equal(3, adapter.Modules.Count);
        MergeCheck.Merged(model, adapter, 0.8, new Dictionary<string, Tensor>
        {
            [Q] = Expected.Lora(u1, d1, 2.0 / 4),
            [K2] = Expected.Lora(u2, d2, 1.0),
            [Unet + "input_blocks.3.1.transformer_blocks.0.attn2.to_v.weight"] = Expected.Lora(u3, d3, 1.0),
        });
    }

    [Fact]
    public void LoCon_conv_targets_3x3_down_with_1x1_up_1x1_pairs_linear_factors_on_1x1_convs_and_a_Tucker_mid()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        Tensor d1 = R(4, 32, 3, 3), u1 = R(32, 4, 1, 1);
        Tensor d2 = R(4, 32, 1, 1), u2 = R(64, 4, 1, 1);
        Tensor d3 = R(4, 64, 1, 1), m3 = R(4, 4, 3, 3), u3 = R(64, 4, 1, 1);
        Tensor d4 = R(2, 64), u4 = R(64, 2);
        var path = _files.Write("locon", [
            ("lora_unet_input_blocks_1_0_in_layers_2.lora_down.weight", d1), ("lora_unet_input_blocks_1_0_in_layers_2.lora_up.weight", u1),
            ("lora_unet_input_blocks_1_0_in_layers_2.alpha", Alpha(8)),
            ("lora_unet_input_blocks_3_0_skip_connection.lora_down.weight", d2), ("lora_unet_input_blocks_3_0_skip_connection.lora_up.weight", u2),
            ("lora_unet_input_blocks_3_0_skip_connection.alpha", Alpha(1)),
            ("lora_unet_output_blocks_1_2_conv.lora_down.weight", d3), ("lora_unet_output_blocks_1_2_conv.lora_mid.weight", m3),
            ("lora_unet_output_blocks_1_2_conv.lora_up.weight", u3), ("lora_unet_output_blocks_1_2_conv.alpha", Alpha(2)),
            // linear-shaped factors on a Linear proj_in, 4-D factors on a 1x1 conv: both are the same matrix product
            ("lora_unet_input_blocks_3_1_proj_in.lora_down.weight", d4.reshape(2, 64, 1, 1)), ("lora_unet_input_blocks_3_1_proj_in.lora_up.weight", u4),
        ]);
        var adapter = Adapter.Load(path, model);
        Assert.True(adapter.Report.Complete, string.Join("\n", adapter.Report.Warnings()));
        MergeCheck.Merged(model, adapter, 1.0, new Dictionary<string, Tensor>
        {
            [Unet + "input_blocks.1.0.in_layers.2.weight"] = Expected.Lora(u1, d1, 8.0 / 4),
            [Unet + "input_blocks.3.0.skip_connection.weight"] = Expected.Lora(u2, d2, 1.0 / 4),
            [Unet + "output_blocks.1.2.conv.weight"] = Expected.LoconTucker(u3, m3, d3, 2.0 / 4),
            [Unet + "input_blocks.3.1.proj_in.weight"] = Expected.Lora(u4, d4, 1.0),
        });
    }

    [Fact]
    public void LoHa_is_the_hadamard_product_of_two_low_rank_products_plain_and_with_Tucker_cores()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        Tensor a1 = R(64, 4), b1 = R(4, 64), a2 = R(64, 4), b2 = R(4, 64);
        Tensor c1 = R(32, 3), e1 = R(3, 32 * 9), c2 = R(32, 3), e2 = R(3, 32 * 9);
        Tensor t1 = R(2, 2, 3, 3), ta1 = R(2, 32), tb1 = R(2, 32), t2 = R(2, 2, 3, 3), ta2 = R(2, 32), tb2 = R(2, 32);
        var path = _files.Write("loha", [
            ("lora_unet_input_blocks_3_1_proj_out.hada_w1_a", a1), ("lora_unet_input_blocks_3_1_proj_out.hada_w1_b", b1),
            ("lora_unet_input_blocks_3_1_proj_out.hada_w2_a", a2), ("lora_unet_input_blocks_3_1_proj_out.hada_w2_b", b2),
            ("lora_unet_input_blocks_3_1_proj_out.alpha", Alpha(2)),
            ("lora_unet_input_blocks_2_0_op.hada_w1_a", c1), ("lora_unet_input_blocks_2_0_op.hada_w1_b", e1),
            ("lora_unet_input_blocks_2_0_op.hada_w2_a", c2), ("lora_unet_input_blocks_2_0_op.hada_w2_b", e2),
            ("lora_unet_input_blocks_2_0_op.alpha", Alpha(1)),
            ("lora_unet_input_blocks_1_0_out_layers_3.hada_t1", t1), ("lora_unet_input_blocks_1_0_out_layers_3.hada_w1_a", ta1),
            ("lora_unet_input_blocks_1_0_out_layers_3.hada_w1_b", tb1), ("lora_unet_input_blocks_1_0_out_layers_3.hada_t2", t2),
            ("lora_unet_input_blocks_1_0_out_layers_3.hada_w2_a", ta2), ("lora_unet_input_blocks_1_0_out_layers_3.hada_w2_b", tb2),
            ("lora_unet_input_blocks_1_0_out_layers_3.alpha", Alpha(3)),
        ]);
        var adapter = Adapter.Load(path, model);
        Assert.True(adapter.Report.Complete, string.Join("\n", adapter.Report.Warnings()));
        MergeCheck.Merged(model, adapter, 0.5, new Dictionary<string, Tensor>
        {
            [Unet + "input_blocks.3.1.proj_out.weight"] = Expected.Loha(a1, b1, a2, b2, 2.0 / 4, [64, 64]),
            [Unet + "input_blocks.2.0.op.weight"] = Expected.Loha(c1, e1, c2, e2, 1.0 / 3, [32, 32, 3, 3]),
            [Unet + "input_blocks.1.0.out_layers.3.weight"] = (Expected.Tucker(t1, ta1, tb1) * Expected.Tucker(t2, ta2, tb2)).mul(3.0 / 2),
        });
    }

    [Fact]
    public void LoKr_is_the_kronecker_product_with_whole_decomposed_and_Tucker_factors()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        const string Ff = "lora_unet_input_blocks_3_1_transformer_blocks_0_ff_net_0_proj";   // [512, 64]
        const string Ff2 = "lora_unet_input_blocks_3_1_transformer_blocks_0_ff_net_2";       // [64, 256]
        const string Out = "lora_unet_input_blocks_3_1_transformer_blocks_0_attn1_to_out_0"; // [64, 64]
        const string Conv1 = "lora_unet_input_blocks_1_0_in_layers_2";                       // [32, 32, 3, 3]
        const string Conv2 = "lora_unet_input_blocks_1_0_out_layers_3";
        const string Conv3 = "lora_unet_output_blocks_1_2_conv";                             // [64, 64, 3, 3]
        Tensor w1 = R(8, 4), w2a = R(64, 2), w2b = R(2, 16);                 // w1 whole, w2 decomposed: scale alpha / 2
        Tensor v1a = R(4, 2), v1b = R(2, 8), v2 = R(16, 32);                  // w1 decomposed, w2 whole: scale alpha / 2
        Tensor x1 = R(8, 8), x2 = R(8, 8);                                    // both whole: scale 1 whatever alpha
        Tensor y1 = R(4, 4), y2 = R(8, 8, 3, 3);                              // conv, both whole
        Tensor z1 = R(4, 4), z2a = R(8, 2), z2b = R(2, 8 * 9);                // conv, w2 = a · b flattened
        Tensor q1 = R(8, 8), qt = R(2, 2, 3, 3), q2a = R(2, 8), q2b = R(2, 8); // conv, Tucker w2
        var path = _files.Write("lokr", [
            (Ff + ".lokr_w1", w1), (Ff + ".lokr_w2_a", w2a), (Ff + ".lokr_w2_b", w2b), (Ff + ".alpha", Alpha(1)),
            (Ff2 + ".lokr_w1_a", v1a), (Ff2 + ".lokr_w1_b", v1b), (Ff2 + ".lokr_w2", v2), (Ff2 + ".alpha", Alpha(3)),
            (Out + ".lokr_w1", x1), (Out + ".lokr_w2", x2), (Out + ".alpha", Alpha(7)),
            (Conv1 + ".lokr_w1", y1), (Conv1 + ".lokr_w2", y2), (Conv1 + ".alpha", Alpha(5)),
            (Conv2 + ".lokr_w1", z1), (Conv2 + ".lokr_w2_a", z2a), (Conv2 + ".lokr_w2_b", z2b), (Conv2 + ".alpha", Alpha(1)),
            (Conv3 + ".lokr_w1", q1), (Conv3 + ".lokr_t2", qt), (Conv3 + ".lokr_w2_a", q2a), (Conv3 + ".lokr_w2_b", q2b), (Conv3 + ".alpha", Alpha(4)),
        ]);
        var adapter = Adapter.Load(path, model);
        Assert.True(adapter.Report.Complete, string.Join("\n", adapter.Report.Warnings()));
        MergeCheck.Merged(model, adapter, 1.0, new Dictionary<string, Tensor>
        {
            [Unet + "input_blocks.3.1.transformer_blocks.0.ff.net.0.proj.weight"] = Expected.Lokr(w1, w2a.matmul(w2b), 1.0 / 2),
            [Unet + "input_blocks.3.1.transformer_blocks.0.ff.net.2.weight"] = Expected.Lokr(v1a.matmul(v1b), v2, 3.0 / 2),
            [Unet + "input_blocks.3.1.transformer_blocks.0.attn1.to_out.0.weight"] = Expected.Lokr(x1, x2, 1.0),
            [Unet + "input_blocks.1.0.in_layers.2.weight"] = Expected.Lokr(y1, y2, 1.0),
            [Unet + "input_blocks.1.0.out_layers.3.weight"] = Expected.Lokr(z1, z2a.matmul(z2b).reshape(8, 8, 3, 3), 1.0 / 2),
            [Unet + "output_blocks.1.2.conv.weight"] = Expected.Lokr(q1, Expected.Tucker(qt, q2a, q2b), 4.0 / 2),
        });
    }

    [Fact]
    public void Full_diff_adds_the_stored_difference_to_weight_and_bias_norms_included()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        Tensor dw = R(64, 64), db = R(64), dn = R(16), dnb = R(16);
        var path = _files.Write("full", [
            ("lora_unet_input_blocks_3_1_proj_out.diff", dw), ("lora_unet_input_blocks_3_1_proj_out.diff_b", db),
            ("lora_te1_text_model_encoder_layers_1_layer_norm1.diff", dn), ("lora_te1_text_model_encoder_layers_1_layer_norm1.diff_b", dnb),
        ]);
        var adapter = Adapter.Load(path, model);
        Assert.True(adapter.Report.Complete, string.Join("\n", adapter.Report.Warnings()));
        Assert.Equal(4, adapter.Modules.Count);
        MergeCheck.Merged(model, adapter, 0.6, new Dictionary<string, Tensor>
        {
            [Unet + "input_blocks.3.1.proj_out.weight"] = dw.to(ScalarType.Float64),
            [Unet + "input_blocks.3.1.proj_out.bias"] = db.to(ScalarType.Float64),
            [Te1 + "text_model.encoder.layers.1.layer_norm1.weight"] = dn.to(ScalarType.Float64),
            [Te1 + "text_model.encoder.layers.1.layer_norm1.bias"] = dnb.to(ScalarType.Float64),
        });
    }

    [Fact]
    public void Kohya_text_encoder_1_uses_the_HF_CLIP_names()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        Tensor d1 = R(4, 16), u1 = R(16, 4), d2 = R(4, 16), u2 = R(32, 4), d3 = R(4, 32), u3 = R(16, 4);
        const string L = "lora_te1_text_model_encoder_layers_1_";
        var path = _files.Write("te1", [
            (L + "self_attn_q_proj.lora_down.weight", d1), (L + "self_attn_q_proj.lora_up.weight", u1), (L + "self_attn_q_proj.alpha", Alpha(4)),
            (L + "mlp_fc1.lora_down.weight", d2), (L + "mlp_fc1.lora_up.weight", u2), (L + "mlp_fc1.alpha", Alpha(2)),
            (L + "mlp_fc2.lora_down.weight", d3), (L + "mlp_fc2.lora_up.weight", u3), (L + "mlp_fc2.alpha", Alpha(1)),
        ]);
        var adapter = Adapter.Load(path, model);
        Assert.True(adapter.Report.Complete, string.Join("\n", adapter.Report.Warnings()));
        MergeCheck.Merged(model, adapter, 1.0, new Dictionary<string, Tensor>
        {
            [Te1 + "text_model.encoder.layers.1.self_attn.q_proj.weight"] = Expected.Lora(u1, d1, 1.0),
            [Te1 + "text_model.encoder.layers.1.mlp.fc1.weight"] = Expected.Lora(u2, d2, 0.5),
            [Te1 + "text_model.encoder.layers.1.mlp.fc2.weight"] = Expected.Lora(u3, d3, 0.25),
        });
    }

    [Fact]
    public void Kohya_text_encoder_2_HF_names_land_in_the_open_clip_layout_fused_qkv_rows_and_transposed_projection()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        const long W = 32;
        Tensor dq = R(4, W), uq = R(W, 4), dk = R(4, W), uk = R(W, 4), dv = R(4, W), uv = R(W, 4);
        Tensor dout = R(4, W), uout = R(W, 4), dfc1 = R(4, W), ufc1 = R(64, 4), dfc2 = R(4, 64), ufc2 = R(W, 4), dp = R(4, W), up = R(W, 4);
        const string L = "lora_te2_text_model_encoder_layers_1_";
        var path = _files.Write("te2", [
            (L + "self_attn_q_proj.lora_down.weight", dq), (L + "self_attn_q_proj.lora_up.weight", uq), (L + "self_attn_q_proj.alpha", Alpha(4)),
            (L + "self_attn_k_proj.lora_down.weight", dk), (L + "self_attn_k_proj.lora_up.weight", uk), (L + "self_attn_k_proj.alpha", Alpha(2)),
            (L + "self_attn_v_proj.lora_down.weight", dv), (L + "self_attn_v_proj.lora_up.weight", uv), (L + "self_attn_v_proj.alpha", Alpha(1)),
            (L + "self_attn_out_proj.lora_down.weight", dout), (L + "self_attn_out_proj.lora_up.weight", uout),
            (L + "mlp_fc1.lora_down.weight", dfc1), (L + "mlp_fc1.lora_up.weight", ufc1),
            (L + "mlp_fc2.lora_down.weight", dfc2), (L + "mlp_fc2.lora_up.weight", ufc2),
            ("lora_te2_text_projection.lora_down.weight", dp), ("lora_te2_text_projection.lora_up.weight", up),
        ]);
        var adapter = Adapter.Load(path, model);
        Assert.True(adapter.Report.Complete, string.Join("\n", adapter.Report.Warnings()));
        var qkv = Expected.InRows([3 * W, W], 0, Expected.Lora(uq, dq, 1.0));
        qkv.narrow(0, W, W).add_(Expected.Lora(uk, dk, 0.5));
        qkv.narrow(0, 2 * W, W).add_(Expected.Lora(uv, dv, 0.25));
        MergeCheck.Merged(model, adapter, 0.9, new Dictionary<string, Tensor>
        {
            [Te2 + "transformer.resblocks.1.attn.in_proj_weight"] = qkv,
            [Te2 + "transformer.resblocks.1.attn.out_proj.weight"] = Expected.Lora(uout, dout, 1.0),
            [Te2 + "transformer.resblocks.1.mlp.c_fc.weight"] = Expected.Lora(ufc1, dfc1, 1.0),
            [Te2 + "transformer.resblocks.1.mlp.c_proj.weight"] = Expected.Lora(ufc2, dfc2, 1.0),
            [Te2 + "text_projection"] = Expected.Lora(up, dp, 1.0).t(),
        });
    }

    [Fact]
    public void Diffusers_and_PEFT_names_map_onto_the_same_weights_with_alpha_from_keys_or_metadata()
    {
        using var scope = NewDisposeScope();
        using var model = TinyBase();
        Tensor d1 = R(4, 64), u1 = R(64, 4), d2 = R(2, 64), u2 = R(64, 2), d3 = R(4, 64), u3 = R(64, 4), d4 = R(2, 64), u4 = R(64, 2);
        Tensor d5 = R(2, 32), u5 = R(16, 2), d6 = R(2, 32), u6 = R(32, 2), d7 = R(4, 32), u7 = R(32, 4, 1, 1), d8 = R(2, 64), u8 = R(64, 2);
        const string A = "unet.down_blocks.1.attentions.0.";
        var metadata = new Dictionary<string, string>
        {
            [PeftAlphas.MetadataKey] = """{"unet.r": 2, "unet.lora_alpha": 1, "unet.alpha_pattern": {"attentions.0.proj_out": 8}, "text_encoder.lora_alpha": 4, "text_encoder_2.lora_alpha": 2, "text_encoder_2.use_rslora": true}""",
        };
        var path = _files.Write("diffusers", [
            (A + "transformer_blocks.0.attn1.to_q.lora.down.weight", d1), (A + "transformer_blocks.0.attn1.to_q.lora.up.weight", u1),
            (A + "transformer_blocks.0.attn1.to_q.alpha", Alpha(2)),                                             // per-key alpha wins
            (A + "transformer_blocks.0.attn1.to_k.lora_A.weight", d2), (A + "transformer_blocks.0.attn1.to_k.lora_B.weight", u2), // metadata 1 / 2
            (A + "transformer_blocks.0.attn2.processor.to_out_lora.down.weight", d3), (A + "transformer_blocks.0.attn2.processor.to_out_lora.up.weight", u3),
            (A + "proj_out.lora_A.weight", d4), (A + "proj_out.lora_B.weight", u4),                              // alpha_pattern 8 / 2
            ("text_encoder.text_model.encoder.layers.0.mlp.fc2.lora_A.weight", d5), ("text_encoder.text_model.encoder.layers.0.mlp.fc2.lora_B.weight", u5),
            ("text_encoder_2.text_model.encoder.layers.0.self_attn.k_proj.lora_A.weight", d6),
            ("text_encoder_2.text_model.encoder.layers.0.self_attn.k_proj.lora_B.weight", u6),                  // rsLoRA 2 / √2
            ("lora_unet_down_blocks_0_resnets_0_conv_shortcut_x.lora_down.weight", d7), ("lora_unet_down_blocks_0_resnets_0_conv_shortcut_x.lora_up.weight", u7), // no such module
            ("lora_unet_down_blocks_1_resnets_0_conv_shortcut.lora_down.weight", d7.reshape(4, 32, 1, 1)),
            ("lora_unet_down_blocks_1_resnets_0_conv_shortcut.lora_up.weight", u7.narrow(0, 0, 32).repeat(2, 1, 1, 1)),
            ("lora_unet_up_blocks_0_upsamplers_0_conv.lora_down.weight", d8.reshape(2, 64, 1, 1).repeat(1, 1, 3, 3)),
            ("lora_unet_up_blocks_0_upsamplers_0_conv.lora_up.weight", u8.reshape(64, 2, 1, 1)),
        ], metadata);
        var adapter = Adapter.Load(path, model);
        Assert.Equal(["lora_unet_down_blocks_0_resnets_0_conv_shortcut_x.lora_down.weight", "lora_unet_down_blocks_0_resnets_0_conv_shortcut_x.lora_up.weight"],
            adapter.Report.Unknown.Select(k => k.Key));
        var up = u7.narrow(0, 0, 32).repeat(2, 1, 1, 1);
        MergeCheck.Merged(model, adapter, 1.0, new Dictionary<string, Tensor>
        {
            [Unet + "input_blocks.3.1.transformer_blocks.0.attn1.to_q.weight"] = Expected.Lora(u1, d1, 2.0 / 4),
            [Unet + "input_blocks.3.1.transformer_blocks.0.attn1.to_k.weight"] = Expected.Lora(u2, d2, 1.0 / 2),
            [Unet + "input_blocks.3.1.transformer_blocks.0.attn2.to_out.0.weight"] = Expected.Lora(u3, d3, 1.0 / 4),   // metadata 1 / 4
            [Unet + "input_blocks.3.1.proj_out.weight"] = Expected.Lora(u4, d4, 8.0 / 2),
            [Te1 + "text_model.encoder.layers.0.mlp.fc2.weight"] = Expected.Lora(u5, d5, 4.0 / 2),
            [Te2 + "transformer.resblocks.0.attn.in_proj_weight"] = Expected.InRows([96, 32], 32, Expected.Lora(u6, d6, 2.0 / Math.Sqrt(2))),
            [Unet + "input_blocks.3.0.skip_connection.weight"] = Expected.Lora(up, d7.reshape(4, 32, 1, 1), 1.0),
            [Unet + "output_blocks.1.2.conv.weight"] = Expected.Lora(u8, d8.reshape(2, 64, 1, 1).repeat(1, 1, 3, 3), 1.0),
        });
    }
}
