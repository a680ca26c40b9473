using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pipeline.Runtime;

namespace Pipeline.Models.Unet;

/// <summary>
/// sgm <c>openaimodel.UNetModel</c> for a <see cref="UNetConfig"/>; field names give sgm's state-dict keys
/// (<c>time_embed</c>, <c>label_emb</c>, <c>input_blocks</c>, <c>middle_block</c>, <c>output_blocks</c>, <c>out</c>),
/// so a released checkpoint loads under the prefix <c>model.diffusion_model.</c> without renaming.
/// Inputs are cast to the parameters' dtype; the output has <c>x</c>'s dtype.
/// </summary>
public sealed class UNetModel : nn.Module<Tensor, Tensor, Tensor?, Tensor?, Tensor>
{
    private readonly Sequential time_embed;
    private readonly Sequential? label_emb;
    private readonly ModuleList<TimestepEmbedSequential> input_blocks;
    private readonly TimestepEmbedSequential middle_block;
    private readonly ModuleList<TimestepEmbedSequential> output_blocks;
    private readonly Sequential @out;

    public UNetConfig Config { get; }

    /// <summary>Builds the network with PyTorch-default random weights on <paramref name="device"/> (use META to build without memory).</summary>
    public UNetModel(UNetConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(UNetModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        if (dtype is { } d && !is_floating_point(d))
            throw new ArgumentException($"UNetModel dtype must be floating point, got {d}");
        Config = config.Validate();
        var plan = UNetPlan.Build(config, validate: false);
        int ted = config.TimeEmbedDim;

        time_embed = nn.Sequential(
            nn.Linear(config.ModelChannels, ted, device: device, dtype: dtype),
            nn.SiLU(),
            nn.Linear(ted, ted, device: device, dtype: dtype));
        if (config.AdmInChannels is { } adm)
            label_emb = nn.Sequential(nn.Sequential(
                nn.Linear(adm, ted, device: device, dtype: dtype),
                nn.SiLU(),
                nn.Linear(ted, ted, device: device, dtype: dtype)));

        TimestepEmbedSequential Block(IReadOnlyList<UNetLayerSpec> layers) =>
            new(layers.Select(spec => Build(spec, config, device, dtype)).ToArray());

        input_blocks = new ModuleList<TimestepEmbedSequential>(plan.InputBlocks.Select(Block).ToArray());
        middle_block = Block(plan.MiddleBlock);
        output_blocks = new ModuleList<TimestepEmbedSequential>(plan.OutputBlocks.Select(Block).ToArray());
        @out = nn.Sequential(
            new GroupNorm32(plan.FinalChannels, config.NormGroups, device: device, dtype: dtype),
            nn.SiLU(),
            nn.Conv2d(config.ModelChannels, config.OutChannels, 3, padding: 1, device: device, dtype: dtype));
        RegisterComponents();
    }

    static nn.Module Build(UNetLayerSpec spec, UNetConfig config, Device? device, ScalarType? dtype) => spec switch
    {
        StemConvSpec s => nn.Conv2d(s.InChannels, s.OutChannels, 3, padding: 1, device: device, dtype: dtype),
        ResBlockSpec r => new ResBlock(r.InChannels, config.TimeEmbedDim, r.OutChannels, config.Dropout, device, dtype, config.NormGroups),
        SpatialTransformerSpec t => new SpatialTransformer(t, config.UseLinearInTransformer, config.Dropout, device, dtype, config.NormGroups),
        DownsampleSpec down => new Downsample(down.Channels, down.Channels, device, dtype),
        UpsampleSpec up => new Upsample(up.Channels, up.Channels, device, dtype),
        _ => throw new ArgumentException($"unknown layer spec {spec}"),
    };

    /// <summary>The dtype the weights are in (inputs are cast to it).</summary>
    public ScalarType ComputeDType => time_embed.parameters().First().dtype;

    /// <summary>sgm <c>UNetModel.forward(x, timesteps, context, y)</c>.</summary>
    /// <param name="x">[B, in_channels, H, W]</param>
    /// <param name="timesteps">[B], float or int64 (the denoiser's c_noise)</param>
    /// <param name="context">[B, L, context_dim] cross-attention context (required when the config has a context_dim)</param>
    /// <param name="y">[B, adm_in_channels] (required iff the config has label_emb)</param>
    public override Tensor forward(Tensor x, Tensor timesteps, Tensor? context, Tensor? y) => Forward(x, timesteps, context, y);

    /// <summary>
    /// <see cref="forward"/>, optionally reporting intermediates to <paramref name="observe"/> under sgm module names
    /// (<c>t_emb</c>, <c>time_embed</c>, <c>label_emb</c>, <c>input_blocks.k</c>, <c>middle_block</c>, <c>output_blocks.k</c>).
    /// A reported tensor is only valid during the callback.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor timesteps, Tensor? context, Tensor? y, Action<string, Tensor>? observe = null)
    {
        CheckInputs(x, timesteps, context, y);
        using var scope = NewDisposeScope();
        var dtype = ComputeDType;
        var tEmb = TimestepEmbedding.Sinusoidal(timesteps, Config.ModelChannels);
        observe?.Invoke("t_emb", tEmb);
        var emb = time_embed.call(tEmb.to(dtype));
        observe?.Invoke("time_embed", emb);
        if (label_emb is not null)
        {
            var label = label_emb.call(y!.to(dtype));
            observe?.Invoke("label_emb", label);
            emb = emb.Plus(label);
        }
        var ctx = context?.to(dtype);

        var skips = new List<Tensor>(input_blocks.Count);
        var h = x.to(dtype);
        for (int i = 0; i < input_blocks.Count; i++)
        {
            h = input_blocks[i].call(h, new BlockInputs(emb, ctx));
            observe?.Invoke($"input_blocks.{i}", h);
            skips.Add(h);
        }
        h = middle_block.call(h, new BlockInputs(emb, ctx));
        observe?.Invoke("middle_block", h);
        for (int i = 0; i < output_blocks.Count; i++)
        {
            var skip = skips[^1];
            skips.RemoveAt(skips.Count - 1);
            var next = skips.Count > 0 ? new[] { skips[^1].shape[2], skips[^1].shape[3] } : null;
            h = output_blocks[i].call(cat(new[] { h, skip }, 1), new BlockInputs(emb, ctx, next));
            observe?.Invoke($"output_blocks.{i}", h);
        }
        var result = Convolutions.Sequence(@out, h).to(x.dtype);
        return result.MoveToOuterDisposeScope();
    }

    void CheckInputs(Tensor x, Tensor timesteps, Tensor? context, Tensor? y)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(timesteps);
        string Shape(Tensor t) => $"[{string.Join(", ", t.shape)}]";
        if (x.dim() != 4 || x.shape[1] != Config.InChannels)
            throw new ArgumentException($"x must be [B, {Config.InChannels}, H, W], got {Shape(x)}", nameof(x));
        long b = x.shape[0];
        if (timesteps.dim() != 1 || timesteps.shape[0] != b)
            throw new ArgumentException($"timesteps must be [B] = [{b}], got {Shape(timesteps)}", nameof(timesteps));
        if (Config.ContextDim is { } cd)
        {
            if (context is null) throw new ArgumentException($"this UNet has cross-attention (context_dim {cd[0]}); context [B, L, {cd[0]}] is required", nameof(context));
            if (context.dim() != 3 || context.shape[0] != b || cd.Distinct().Count() == 1 && context.shape[2] != cd[0])
                throw new ArgumentException($"context must be [{b}, L, {cd[0]}], got {Shape(context)}", nameof(context));
        }
        if (Config.AdmInChannels is { } adm)
        {
            if (y is null) throw new ArgumentException($"this UNet is class-conditional (num_classes sequential, adm_in_channels {adm}); y [B, {adm}] is required", nameof(y));
            if (y.dim() != 2 || y.shape[0] != b || y.shape[1] != adm)
                throw new ArgumentException($"y must be [{b}, {adm}], got {Shape(y)}", nameof(y));
        }
        else if (y is not null)
            throw new ArgumentException("this UNet has no label_emb (num_classes is null); y must be null", nameof(y));
    }
}
