using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Unet;

/// <summary>sgm <c>GEGLU</c>: one Linear to twice the width; first half times exact GELU of the second half.</summary>
public sealed class GEGLU : nn.Module<Tensor, Tensor>
{
    private readonly Linear proj;

    public GEGLU(int dimIn, int dimOut, Device? device = null, ScalarType? dtype = null) : base(nameof(GEGLU))
    {
        proj = nn.Linear(dimIn, dimOut * 2, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var halves = proj.call(x).chunk(2, -1);
        return (halves[0] * nn.functional.gelu(halves[1])).MoveToOuterDisposeScope();
    }
}

/// <summary>sgm <c>FeedForward(dim, glu=True)</c>: <c>net = [GEGLU(dim, 4·dim), Dropout, Linear(4·dim, dim)]</c>.</summary>
public sealed class FeedForward : nn.Module<Tensor, Tensor>
{
    private readonly Sequential net;

    public FeedForward(int dim, int mult = 4, double dropout = 0.0, Device? device = null, ScalarType? dtype = null)
        : base(nameof(FeedForward))
    {
        int inner = dim * mult;
        net = nn.Sequential(
            new GEGLU(dim, inner, device, dtype),
            nn.Dropout(dropout),
            nn.Linear(inner, dim, device: device, dtype: dtype));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return net.call(x).MoveToOuterDisposeScope();
    }
}
