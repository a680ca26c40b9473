using System.Text.Json;
using Pipeline.Models.Unet;
using Pipeline.Models.Vae;

namespace Pipeline.Tests.Models;

/// <summary>
/// Builds our config records from the <c>params</c> object of a golden case JSON (sgm constructor arguments),
/// so another golden set with other shapes runs unchanged. Options we do not model must have sgm's SDXL values.
/// </summary>
public static class SgmParams
{
    public static UNetConfig UNet(JsonElement p)
    {
        int levels = p.GetProperty("channel_mult").GetArrayLength();
        RequireIfPresent(p, "dims", 2);
        RequireIfPresent(p, "use_scale_shift_norm", false);
        RequireIfPresent(p, "resblock_updown", false);
        RequireIfPresent(p, "conv_resample", true);
        foreach (var absent in new[] { "disable_self_attentions", "num_attention_blocks" })
            if (p.TryGetProperty(absent, out var v) && v.ValueKind != JsonValueKind.Null)
                throw new NotSupportedException($"UNet option '{absent}' is not modelled");

        int? adm = null;
        if (p.TryGetProperty("num_classes", out var nc) && nc.ValueKind != JsonValueKind.Null)
        {
            if (nc.ValueKind != JsonValueKind.String || nc.GetString() != "sequential")
                throw new NotSupportedException($"num_classes {nc} is not modelled (only \"sequential\")");
            adm = p.GetProperty("adm_in_channels").GetInt32();
        }
        return new UNetConfig(
            InChannels: p.GetProperty("in_channels").GetInt32(),
            OutChannels: p.GetProperty("out_channels").GetInt32(),
            ModelChannels: p.GetProperty("model_channels").GetInt32(),
            ChannelMult: Ints(p.GetProperty("channel_mult")),
            NumResBlocks: IntOrList(p.GetProperty("num_res_blocks"), levels),
            AttentionResolutions: Ints(p.GetProperty("attention_resolutions")),
            TransformerDepth: IntOrList(p.GetProperty("transformer_depth"), levels),
            ContextDim: p.TryGetProperty("context_dim", out var cd) && cd.ValueKind != JsonValueKind.Null
                ? (cd.ValueKind == JsonValueKind.Array ? Ints(cd) : [cd.GetInt32()])
                : null,
            NumHeadChannels: p.TryGetProperty("num_head_channels", out var nhc) ? nhc.GetInt32() : -1,
            NumHeads: p.TryGetProperty("num_heads", out var nh) ? nh.GetInt32() : -1,
            UseLinearInTransformer: p.TryGetProperty("use_linear_in_transformer", out var ul) && ul.GetBoolean(),
            AdmInChannels: adm,
            TransformerDepthMiddle: p.TryGetProperty("transformer_depth_middle", out var tdm) && tdm.ValueKind != JsonValueKind.Null ? tdm.GetInt32() : null,
            Dropout: p.TryGetProperty("dropout", out var dr) ? dr.GetDouble() : 0.0);
    }

    /// <summary>sgm <c>AutoencoderKL(embed_dim, ddconfig)</c> parameters.</summary>
    public static AutoencoderKLConfig Vae(JsonElement p) => VaeFromDdconfig(p.GetProperty("ddconfig"), p.GetProperty("embed_dim").GetInt32());

    /// <summary>From a bare <c>ddconfig</c>; sgm's SDXL VAE uses embed_dim = z_channels.</summary>
    public static AutoencoderKLConfig VaeFromDdconfig(JsonElement dd, int? embedDim = null)
    {
        return new AutoencoderKLConfig(
            EmbedDim: embedDim ?? dd.GetProperty("z_channels").GetInt32(),
            Ch: dd.GetProperty("ch").GetInt32(),
            ChMult: Ints(dd.GetProperty("ch_mult")),
            NumResBlocks: dd.GetProperty("num_res_blocks").GetInt32(),
            AttnResolutions: Ints(dd.GetProperty("attn_resolutions")),
            ZChannels: dd.GetProperty("z_channels").GetInt32(),
            DoubleZ: !dd.TryGetProperty("double_z", out var dz) || dz.GetBoolean(),
            Resolution: dd.GetProperty("resolution").GetInt32(),
            InChannels: dd.GetProperty("in_channels").GetInt32(),
            OutCh: dd.GetProperty("out_ch").GetInt32(),
            Dropout: dd.TryGetProperty("dropout", out var dr) ? dr.GetDouble() : 0.0);
    }

    static int[] Ints(JsonElement array) => array.EnumerateArray().Select(e => e.GetInt32()).ToArray();

    static IReadOnlyList<int> IntOrList(JsonElement e, int levels) =>
        e.ValueKind == JsonValueKind.Array ? Ints(e) : UNetConfig.PerLevel(e.GetInt32(), levels);

    static void RequireIfPresent(JsonElement p, string name, object expected)
    {
        if (!p.TryGetProperty(name, out var v)) return;
        object actual = v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => v.GetInt32(),
            _ => v.ToString(),
        };
        if (!actual.Equals(expected)) throw new NotSupportedException($"UNet option {name} = {v} is not modelled (only {expected})");
    }
}
