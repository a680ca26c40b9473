using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>open_clip <c>Transformer</c>: the <c>resblocks</c> stack.</summary>
public sealed class OpenClipTransformer : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<OpenClipResidualAttentionBlock> resblocks;

    public OpenClipTransformer(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(OpenClipTransformer))
    {
        resblocks = new ModuleList<OpenClipResidualAttentionBlock>(
            Enumerable.Range(0, config.Layers).Select(_ => new OpenClipResidualAttentionBlock(config, device, dtype)).ToArray());
        RegisterComponents();
    }

    public int BlockCount => resblocks.Count;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var h = x.alias();
        foreach (var block in resblocks) h = block.forward(h);
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>The output of every block, in order; the caller owns them.</summary>
    public IReadOnlyList<Tensor> ForwardCollecting(Tensor x)
    {
        var outputs = new List<Tensor>(resblocks.Count);
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var block in resblocks)
        {
            h = block.forward(h);
            outputs.Add(h);
        }
        foreach (var o in outputs) o.MoveToOuterDisposeScope();
        return outputs;
    }

    /// <summary>(input of the last block, output of the last block): sgm's "penultimate" and "last".</summary>
    public (Tensor Penultimate, Tensor Last) ForwardPenultimate(Tensor x)
    {
        if (resblocks.Count == 0) throw new InvalidOperationException("the transformer has no blocks, so it has no penultimate output");
        using var scope = NewDisposeScope();
        var h = x.alias();
        for (int i = 0; i < resblocks.Count - 1; i++) h = resblocks[i].forward(h);
        var last = resblocks[^1].forward(h);
        return (h.MoveToOuterDisposeScope(), last.MoveToOuterDisposeScope());
    }
}
