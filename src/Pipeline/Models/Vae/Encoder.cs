using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>
/// sgm VAE <c>Encoder</c>: conv_in, per level <c>num_res_blocks</c> ResnetBlocks (+ attention at the listed
/// resolutions) and a downsample except at the last level, the mid block, GN, swish, conv_out to
/// 2·z_channels (mean and log-variance) when double_z.
/// </summary>
public sealed class Encoder : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d conv_in;
    private readonly ModuleList<DownLevel> down;
    private readonly MidBlock mid;
    private readonly GroupNorm norm_out;
    private readonly Conv2d conv_out;

    public Encoder(AutoencoderKLConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(Encoder))
    {
        config.Validate();
        conv_in = nn.Conv2d(config.InChannels, config.Ch, 3, padding: 1, device: device, dtype: dtype);
        var levels = new List<DownLevel>();
        int resolution = config.Resolution, blockIn = config.Ch;
        for (int level = 0; level < config.Levels; level++)
        {
            int blockOut = config.Ch * config.ChMult[level];
            var blocks = new List<ResnetBlock>();
            var attentions = new List<AttnBlock>();
            for (int i = 0; i < config.NumResBlocks; i++)
            {
                blocks.Add(new ResnetBlock(blockIn, blockOut, config.Dropout, device, dtype, config.NormGroups));
                blockIn = blockOut;
                if (config.AttnResolutions.Contains(resolution)) attentions.Add(new AttnBlock(blockIn, device, dtype, config.NormGroups));
            }
            Downsample? resample = null;
            if (level != config.Levels - 1)
            {
                resample = new Downsample(blockIn, device, dtype);
                resolution /= 2;
            }
            levels.Add(new DownLevel(blocks, attentions, resample));
        }
        down = new ModuleList<DownLevel>(levels.ToArray());
        mid = new MidBlock(blockIn, config.Dropout, device, dtype, config.NormGroups);
        norm_out = Normalize.Create(blockIn, device, dtype, config.NormGroups);
        conv_out = nn.Conv2d(blockIn, config.DoubleZ ? 2 * config.ZChannels : config.ZChannels, 3, padding: 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => Forward(x, null);

    /// <summary>Reports <c>encoder.down.i.downsample</c>, <c>encoder.mid.attn_1</c> and <c>encoder.out</c> to <paramref name="observe"/>.</summary>
    public Tensor Forward(Tensor x, Action<string, Tensor>? observe)
    {
        using var scope = NewDisposeScope();
        var h = Convolutions.Forward(conv_in, x);
        for (int level = 0; level < down.Count; level++)
        {
            var stage = down[level];
            var attn = stage.Attn;
            var blocks = stage.Block;
            for (int i = 0; i < blocks.Count; i++)
            {
                h = blocks[i].call(h);
                if (attn.Count > 0) h = attn[i].call(h);
            }
            if (stage.Resample is { } resample)
            {
                h = resample.call(h);
                observe?.Invoke($"encoder.down.{level}.downsample", h);
            }
        }
        h = mid.Forward(h, "encoder.mid", observe);
        h = Convolutions.Forward(conv_out, nn.functional.silu(norm_out.call(h)));
        observe?.Invoke("encoder.out", h);
        return h.MoveToOuterDisposeScope();
    }
}
