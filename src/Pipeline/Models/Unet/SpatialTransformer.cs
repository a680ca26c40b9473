using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using Pipeline.Runtime;

namespace Pipeline.Models.Unet;

/// <summary>
/// sgm <c>SpatialTransformer</c>: GroupNorm (32 groups = sgm, or the config's NormGroups; eps 1e-6), projection in, <c>[B, H·W, C]</c> tokens through
/// the transformer blocks (all with the same context), projection out, residual. With <c>use_linear</c> the
/// projections are Linear layers applied after flattening; otherwise 1x1 convs applied before it.
/// </summary>
public sealed class SpatialTransformer : nn.Module<Tensor, Tensor?, Tensor>
{
    private readonly GroupNorm norm;
    readonly int _groups;
    private readonly nn.Module<Tensor, Tensor> proj_in;
    private readonly ModuleList<BasicTransformerBlock> transformer_blocks;
    private readonly nn.Module<Tensor, Tensor> proj_out;
    readonly bool _useLinear;

    public SpatialTransformer(SpatialTransformerSpec spec, bool useLinear, double dropout = 0.0, Device? device = null, ScalarType? dtype = null, int normGroups = 32)
        : base(nameof(SpatialTransformer))
    {
        _useLinear = useLinear;
        int c = spec.Channels, inner = spec.InnerDim;
        _groups = normGroups;
        norm = GroupNorms.Create(normGroups, c, 1e-6, device, dtype);
        proj_in = useLinear
            ? nn.Linear(c, inner, device: device, dtype: dtype)
            : nn.Conv2d(c, inner, 1, device: device, dtype: dtype);
        transformer_blocks = new ModuleList<BasicTransformerBlock>(spec.ContextDims
            .Select(ctx => new BasicTransformerBlock(inner, spec.Heads, spec.HeadChannels, ctx, dropout, device, dtype))
            .ToArray());
        proj_out = useLinear
            ? nn.Linear(inner, c, device: device, dtype: dtype)
            : nn.Conv2d(inner, c, 1, device: device, dtype: dtype);
        RegisterComponents();
    }

    /// <param name="x">[B, C, H, W]</param>
    /// <param name="context">[B, M, contextDim]</param>
    public override Tensor forward(Tensor x, Tensor? context)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0], h = x.shape[2], w = x.shape[3];
        var t = Float32Norms.GroupNorm(norm, x, _groups, 1e-6);
        if (!_useLinear) t = Convolutions.Call(proj_in, t);
        t = t.flatten(2).transpose(1, 2);                        // [B, H·W, C]
        if (_useLinear) t = Convolutions.Call(proj_in, t);
        foreach (var block in transformer_blocks) t = block.call(t, context);
        if (_useLinear) t = Convolutions.Call(proj_out, t);
        t = t.transpose(1, 2).reshape(b, -1, h, w);              // [B, C, H, W]
        if (!_useLinear) t = Convolutions.Call(proj_out, t);
        return t.Plus(x).MoveToOuterDisposeScope();
    }
}
