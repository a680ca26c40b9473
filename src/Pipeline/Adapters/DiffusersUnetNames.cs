using Pipeline.Models.Unet;

namespace Pipeline.Adapters;

/// <summary>
/// diffusers' <c>UNet2DConditionModel</c> module names ↔ sgm's <c>openaimodel.UNetModel</c> names, derived from the
/// config's block layout (<see cref="UNetPlan"/>), so SDXL base, the refiner and the tiny configs all map. For SDXL base
/// (2 res blocks per level, 3 on the way up): <c>down_blocks.i.resnets.j</c> ↔ <c>input_blocks.(3i+j+1).0</c>,
/// <c>down_blocks.i.attentions.j</c> ↔ <c>input_blocks.(3i+j+1).1</c>, <c>down_blocks.i.downsamplers.0.conv</c> ↔
/// <c>input_blocks.3(i+1).0.op</c>, <c>mid_block.{resnets.0, attentions.0, resnets.1}</c> ↔ <c>middle_block.{0,1,2}</c>,
/// <c>up_blocks.i.resnets.j</c> ↔ <c>output_blocks.(3i+j).0</c>, <c>up_blocks.i.attentions.j</c> ↔
/// <c>output_blocks.(3i+j).1</c>, <c>up_blocks.i.upsamplers.0.conv</c> ↔ <c>output_blocks.(3i+2).{1|2}.conv</c> (2 when
/// the block has attention), <c>time_embedding.linear_{1,2}</c> ↔ <c>time_embed.{0,2}</c>,
/// <c>add_embedding.linear_{1,2}</c> ↔ <c>label_emb.0.{0,2}</c>, <c>conv_in</c> ↔ <c>input_blocks.0.0</c>,
/// <c>conv_norm_out</c>/<c>conv_out</c> ↔ <c>out.0</c>/<c>out.2</c>. Inside a resnet: <c>norm1</c> ↔ <c>in_layers.0</c>,
/// <c>conv1</c> ↔ <c>in_layers.2</c>, <c>time_emb_proj</c> ↔ <c>emb_layers.1</c>, <c>norm2</c> ↔ <c>out_layers.0</c>,
/// <c>conv2</c> ↔ <c>out_layers.3</c>, <c>conv_shortcut</c> ↔ <c>skip_connection</c>. Transformer internals (<c>norm</c>,
/// <c>proj_in</c>, <c>transformer_blocks.k.attn1.to_q</c>, <c>…to_out.0</c>, <c>ff.net.0.proj</c>, <c>ff.net.2</c>,
/// <c>proj_out</c>) have the same names in both.
/// </summary>
public static class DiffusersUnetNames
{
    /// <summary>One block (or single module) of the layout: sgm prefix, diffusers prefix, and whether it is a resnet.</summary>
    public sealed record BlockPair(string Sgm, string Diffusers, bool IsResnet);

    /// <summary>sgm resnet member → diffusers resnet member.</summary>
    public static IReadOnlyList<(string Sgm, string Diffusers)> ResnetMembers { get; } =
    [
        ("in_layers.0", "norm1"), ("in_layers.2", "conv1"), ("emb_layers.1", "time_emb_proj"),
        ("out_layers.0", "norm2"), ("out_layers.3", "conv2"), ("skip_connection", "conv_shortcut"),
    ];

    /// <summary>The block pairs of <paramref name="config"/>'s layout, in sgm order.</summary>
    public static IReadOnlyList<BlockPair> Blocks(UNetConfig config)
    {
        var plan = UNetPlan.Build(config);
        var pairs = new List<BlockPair>
        {
            new("time_embed.0", "time_embedding.linear_1", false),
            new("time_embed.2", "time_embedding.linear_2", false),
        };
        if (config.AdmInChannels is not null)
        {
            pairs.Add(new("label_emb.0.0", "add_embedding.linear_1", false));
            pairs.Add(new("label_emb.0.2", "add_embedding.linear_2", false));
        }
        pairs.Add(new("input_blocks.0.0", "conv_in", false));

        // sgm numbers input blocks consecutively; a downsample block ends a diffusers down block.
        for (int block = 1, level = 0, res = 0, attn = 0; block < plan.InputBlocks.Count; block++)
        {
            var layers = plan.InputBlocks[block];
            if (layers[0] is DownsampleSpec)
            {
                pairs.Add(new($"input_blocks.{block}.0.op", $"down_blocks.{level}.downsamplers.0.conv", false));
                level++;
                res = attn = 0;
            }
            else Layers(pairs, layers, $"input_blocks.{block}", $"down_blocks.{level}", ref res, ref attn);
        }

        int midRes = 0, midAttn = 0;
        Layers(pairs, plan.MiddleBlock, "middle_block", "mid_block", ref midRes, ref midAttn);

        int output = 0;
        for (int up = 0; up < config.Levels; up++)
        {
            int level = config.Levels - 1 - up, res = 0, attn = 0;
            for (int j = 0; j <= config.NumResBlocks[level]; j++, output++)
                Layers(pairs, plan.OutputBlocks[output], $"output_blocks.{output}", $"up_blocks.{up}", ref res, ref attn);
        }
        pairs.Add(new("out.0", "conv_norm_out", false));
        pairs.Add(new("out.2", "conv_out", false));
        return pairs;
    }

    /// <summary>
    /// Pairs for the layers of one sgm block: sgm numbers layers within the block (<c>.0</c>, <c>.1</c>, …), diffusers
    /// numbers resnets and attentions within the diffusers block (<paramref name="res"/>, <paramref name="attn"/>).
    /// The middle block is one sgm block whose layers are numbered directly (<c>middle_block.0</c>, …).
    /// </summary>
    static void Layers(List<BlockPair> pairs, IReadOnlyList<UNetLayerSpec> layers, string sgm, string diffusers, ref int res, ref int attn)
    {
        for (int i = 0; i < layers.Count; i++)
        {
            var at = $"{sgm}.{i}";
            switch (layers[i])
            {
                case ResBlockSpec:
                    pairs.Add(new(at, $"{diffusers}.resnets.{res++}", true));
                    break;
                case SpatialTransformerSpec:
                    pairs.Add(new(at, $"{diffusers}.attentions.{attn++}", false));
                    break;
                case UpsampleSpec:
                    pairs.Add(new($"{at}.conv", $"{diffusers}.upsamplers.0.conv", false));
                    break;
                default:
                    throw new InvalidOperationException($"unexpected layer {layers[i].GetType().Name} at {at}");
            }
        }
    }

    /// <summary>
    /// The diffusers name of the sgm module (or parameter) path <paramref name="sgm"/>, e.g.
    /// <c>input_blocks.4.1.transformer_blocks.0.attn1.to_q</c> → <c>down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q</c>;
    /// null when the path is not in the layout.
    /// </summary>
    public static string? ToDiffusers(IReadOnlyList<BlockPair> blocks, string sgm)
    {
        foreach (var block in blocks)
        {
            if (!Under(sgm, block.Sgm, out var rest)) continue;
            if (!block.IsResnet) return block.Diffusers + rest;
            foreach (var (s, d) in ResnetMembers)
                if (Under(rest.TrimStart('.'), s, out var tail)) return $"{block.Diffusers}.{d}{tail}";
            return null;
        }
        return null;
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="prefix"/> or below it; <paramref name="rest"/> is what follows (with its dot).</summary>
    static bool Under(string path, string prefix, out string rest)
    {
        rest = "";
        if (!path.StartsWith(prefix, StringComparison.Ordinal)) return false;
        if (path.Length == prefix.Length) return true;
        if (path[prefix.Length] != '.') return false;
        rest = path[prefix.Length..];
        return true;
    }
}
