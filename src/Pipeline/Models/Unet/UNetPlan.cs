namespace Pipeline.Models.Unet;

/// <summary>One layer of a UNet block, as sgm's <c>UNetModel.__init__</c> lays it out.</summary>
public abstract record UNetLayerSpec;

/// <summary>The stem: 3x3 conv, <c>input_blocks.0.0</c>.</summary>
public sealed record StemConvSpec(int InChannels, int OutChannels) : UNetLayerSpec;

public sealed record ResBlockSpec(int InChannels, int OutChannels) : UNetLayerSpec;

/// <summary>A SpatialTransformer: <paramref name="ContextDims"/> has one entry per transformer block (null: self-attention context).</summary>
public sealed record SpatialTransformerSpec(int Channels, int Heads, int HeadChannels, IReadOnlyList<int?> ContextDims) : UNetLayerSpec
{
    public int Depth => ContextDims.Count;
    public int InnerDim => Heads * HeadChannels;
}

public sealed record DownsampleSpec(int Channels) : UNetLayerSpec;

public sealed record UpsampleSpec(int Channels) : UNetLayerSpec;

/// <summary>
/// The block structure of a UNet config: what <c>input_blocks</c>, <c>middle_block</c> and <c>output_blocks</c>
/// hold, in sgm's order. Shared by the module builder and the FLOP counter so both follow one layout.
/// </summary>
public sealed record UNetPlan(
    IReadOnlyList<IReadOnlyList<UNetLayerSpec>> InputBlocks,
    IReadOnlyList<UNetLayerSpec> MiddleBlock,
    IReadOnlyList<IReadOnlyList<UNetLayerSpec>> OutputBlocks,
    int FinalChannels)
{
    /// <summary>Lays out <paramref name="config"/> exactly as sgm does (block numbering, skip channels, head counts).</summary>
    public static UNetPlan Build(UNetConfig config, bool validate = true)
    {
        if (validate) config.Validate();
        int mc = config.ModelChannels;
        var inputs = new List<IReadOnlyList<UNetLayerSpec>> { new UNetLayerSpec[] { new StemConvSpec(config.InChannels, mc) } };
        var skipChannels = new List<int> { mc };
        int ch = mc, ds = 1;
        for (int level = 0; level < config.Levels; level++)
        {
            for (int nr = 0; nr < config.NumResBlocks[level]; nr++)
            {
                var layers = new List<UNetLayerSpec> { new ResBlockSpec(ch, config.ChannelMult[level] * mc) };
                ch = config.ChannelMult[level] * mc;
                if (config.AttentionResolutions.Contains(ds))
                    layers.Add(Transformer(config, ch, config.TransformerDepth[level]));
                inputs.Add(layers);
                skipChannels.Add(ch);
            }
            if (level != config.Levels - 1)
            {
                inputs.Add(new UNetLayerSpec[] { new DownsampleSpec(ch) });
                skipChannels.Add(ch);
                ds *= 2;
            }
        }

        var middle = new UNetLayerSpec[]
        {
            new ResBlockSpec(ch, ch), Transformer(config, ch, config.MiddleDepth), new ResBlockSpec(ch, ch),
        };

        var outputs = new List<IReadOnlyList<UNetLayerSpec>>();
        for (int level = config.Levels - 1; level >= 0; level--)
        {
            for (int i = 0; i <= config.NumResBlocks[level]; i++)
            {
                int skip = skipChannels[^1];
                skipChannels.RemoveAt(skipChannels.Count - 1);
                var layers = new List<UNetLayerSpec> { new ResBlockSpec(ch + skip, mc * config.ChannelMult[level]) };
                ch = mc * config.ChannelMult[level];
                if (config.AttentionResolutions.Contains(ds))
                    layers.Add(Transformer(config, ch, config.TransformerDepth[level]));
                if (level > 0 && i == config.NumResBlocks[level])
                {
                    layers.Add(new UpsampleSpec(ch));
                    ds /= 2;
                }
                outputs.Add(layers);
            }
        }
        return new UNetPlan(inputs, middle, outputs, ch);
    }

    static SpatialTransformerSpec Transformer(UNetConfig config, int channels, int depth)
    {
        int heads, headChannels;
        if (config.NumHeadChannels == -1)
        {
            heads = config.NumHeads;
            headChannels = channels / heads;
        }
        else
        {
            if (channels % config.NumHeadChannels != 0)
                throw new ArgumentException($"{channels} channels are not divisible by NumHeadChannels {config.NumHeadChannels}");
            heads = channels / config.NumHeadChannels;
            headChannels = config.NumHeadChannels;
        }
        return new SpatialTransformerSpec(channels, heads, headChannels, ContextDimsFor(config.ContextDim, depth));
    }

    /// <summary>sgm's SpatialTransformer rule: a list as long as the depth is per block; otherwise it must be homogeneous.</summary>
    static IReadOnlyList<int?> ContextDimsFor(IReadOnlyList<int>? contextDim, int depth)
    {
        if (contextDim is null) return Enumerable.Repeat<int?>(null, depth).ToArray();
        if (contextDim.Count == depth) return contextDim.Select(c => (int?)c).ToArray();
        if (contextDim.Any(c => c != contextDim[0]))
            throw new ArgumentException(
                $"ContextDim [{string.Join(", ", contextDim)}] has {contextDim.Count} entries for a transformer of depth {depth}; sgm needs a homogeneous list to match the depth automatically");
        return Enumerable.Repeat<int?>(contextDim[0], depth).ToArray();
    }
}
