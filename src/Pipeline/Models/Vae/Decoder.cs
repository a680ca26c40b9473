using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>
/// sgm VAE <c>Decoder</c>: conv_in from z_channels, the mid block, levels from the deepest up with
/// <c>num_res_blocks + 1</c> ResnetBlocks each (+ attention at the listed resolutions) and an upsample except at
/// level 0, GN, swish, conv_out. <c>up[i]</c> is level i, as in the checkpoints.
/// </summary>
public sealed class Decoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv_in;
    private readonly MidBlock mid;
    private readonly ModuleList<UpLevel> up;
    private readonly GroupNorm norm_out;
    private readonly Conv2d conv_out;

    public Decoder(AutoencoderKLConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(Decoder))
    {
        config.Validate();
        int blockIn = config.Ch * config.ChMult[^1];
        int resolution = config.Resolution / config.DownscaleFactor;
        conv_in = nn.Conv2d(config.ZChannels, blockIn, 3, padding: 1, device: device, dtype: dtype);
        mid = new MidBlock(blockIn, config.Dropout, device, dtype, config.NormGroups);
        var levels = new UpLevel[config.Levels];
        for (int level = config.Levels - 1; level >= 0; level--)
        {
            int blockOut = config.Ch * config.ChMult[level];
            var blocks = new List<ResnetBlock>();
            var attentions = new List<AttnBlock>();
            for (int i = 0; i <= config.NumResBlocks; i++)
            {
                blocks.Add(new ResnetBlock(blockIn, blockOut, config.Dropout, device, dtype, config.NormGroups));
                blockIn = blockOut;
                if (config.AttnResolutions.Contains(resolution)) attentions.Add(new AttnBlock(blockIn, device, dtype, config.NormGroups));
            }
            Upsample? resample = null;
            if (level != 0)
            {
                resample = new Upsample(blockIn, device, dtype);
                resolution *= 2;
            }
            levels[level] = new UpLevel(blocks, attentions, resample);
        }
        up = new ModuleList<UpLevel>(levels);
        norm_out = Normalize.Create(blockIn, device, dtype, config.NormGroups);
        conv_out = nn.Conv2d(blockIn, config.OutCh, 3, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor z) => Forward(z, null);

    /// <summary>Reports <c>decoder.conv_in</c>, <c>decoder.mid.attn_1</c> and <c>decoder.up.i.upsample</c> to <paramref name="observe"/>.</summary>
    public Tensor Forward(Tensor z, Action<string, Tensor>? observe)
    {
        using var scope = NewDisposeScope();
        var h = Head(z, observe);
        return Tail(h, null, observe).MoveToOuterDisposeScope();
    }

    /// <summary>conv_in and the mid block: everything at latent resolution (global self-attention included).</summary>
    public Tensor Head(Tensor z, Action<string, Tensor>? observe = null)
    {
        using var scope = NewDisposeScope();
        var h = Convolutions.Forward(conv_in, z);
        observe?.Invoke("decoder.conv_in", h);
        return mid.Forward(h, "decoder.mid", observe).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The up levels, norm_out, swish and conv_out: what turns the head's output into an image; convolutional
    /// except for attention at the listed resolutions, so it can run tile by tile.
    /// </summary>
    public Tensor Tail(Tensor h, GroupNormStatistics? statistics = null, Action<string, Tensor>? observe = null)
    {
        using var scope = NewDisposeScope();
        for (int level = up.Count - 1; level >= 0; level--)
        {
            var stage = up[level];
            var attn = stage.Attn;
            var blocks = stage.Block;
            for (int i = 0; i < blocks.Count; i++)
            {
                h = blocks[i].Forward(h, statistics);
                if (attn.Count > 0) h = attn[i].Forward(h, statistics);
            }
            if (stage.Resample is { } resample)
            {
                h = resample.call(h);
                observe?.Invoke($"decoder.up.{level}.upsample", h);
            }
        }
        h = Convolutions.Forward(conv_out, nn.functional.silu(Normalize.Apply(norm_out, h, statistics)));
        return h.MoveToOuterDisposeScope();
    }
}
