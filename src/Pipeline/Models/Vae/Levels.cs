using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>One resolution level of the encoder (<c>encoder.down.i</c>): res blocks, optional attention after each, optional downsample.</summary>
public sealed class DownLevel : nn.Module
{
    private readonly ModuleList<ResnetBlock> block;
    private readonly ModuleList<AttnBlock> attn;
    private readonly Downsample? downsample;

    public DownLevel(IEnumerable<ResnetBlock> blocks, IEnumerable<AttnBlock> attentions, Downsample? downsample) : base(nameof(DownLevel))
    {
        block = new ModuleList<ResnetBlock>(blocks.ToArray());
        attn = new ModuleList<AttnBlock>(attentions.ToArray());
        this.downsample = downsample;
        if (attn.Count != 0 && attn.Count != block.Count) throw new ArgumentException("attention must follow every res block of a level or none");
        RegisterComponents();
    }

    public IReadOnlyList<ResnetBlock> Block => block.ToArray();
    public IReadOnlyList<AttnBlock> Attn => attn.ToArray();
    public Downsample? Resample => downsample;
}

/// <summary>One resolution level of the decoder (<c>decoder.up.i</c>): res blocks, optional attention after each, optional upsample.</summary>
public sealed class UpLevel : nn.Module
{
    private readonly ModuleList<ResnetBlock> block;
    private readonly ModuleList<AttnBlock> attn;
    private readonly Upsample? upsample;

    public UpLevel(IEnumerable<ResnetBlock> blocks, IEnumerable<AttnBlock> attentions, Upsample? upsample) : base(nameof(UpLevel))
    {
        block = new ModuleList<ResnetBlock>(blocks.ToArray());
        attn = new ModuleList<AttnBlock>(attentions.ToArray());
        this.upsample = upsample;
        if (attn.Count != 0 && attn.Count != block.Count) throw new ArgumentException("attention must follow every res block of a level or none");
        RegisterComponents();
    }

    public IReadOnlyList<ResnetBlock> Block => block.ToArray();
    public IReadOnlyList<AttnBlock> Attn => attn.ToArray();
    public Upsample? Resample => upsample;
}

/// <summary>The middle of encoder and decoder (<c>mid</c>): ResnetBlock, single-head attention, ResnetBlock.</summary>
public sealed class MidBlock : nn.Module
{
    private readonly ResnetBlock block_1;
    private readonly AttnBlock attn_1;
    private readonly ResnetBlock block_2;

    public MidBlock(int channels, double dropout, Device? device, ScalarType? dtype, int groups = Normalize.SgmGroups) : base(nameof(MidBlock))
    {
        block_1 = new ResnetBlock(channels, channels, dropout, device, dtype, groups);
        attn_1 = new AttnBlock(channels, device, dtype, groups);
        block_2 = new ResnetBlock(channels, channels, dropout, device, dtype, groups);
        RegisterComponents();
    }

    /// <summary>block_1 → attn_1 → block_2, reporting attn_1's output as <c>{prefix}.attn_1</c>.</summary>
    public Tensor Forward(Tensor x, string prefix, Action<string, Tensor>? observe)
    {
        using var scope = NewDisposeScope();
        var h = attn_1.call(block_1.call(x));
        observe?.Invoke($"{prefix}.attn_1", h);
        return block_2.call(h).MoveToOuterDisposeScope();
    }
}
