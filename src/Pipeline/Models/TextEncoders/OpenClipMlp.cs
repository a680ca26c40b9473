using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>open_clip's block MLP (<c>c_fc</c>, GELU, <c>c_proj</c>).</summary>
public sealed class OpenClipMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear c_fc;
    private readonly Linear c_proj;
    private readonly ClipActivation _activation;

    public OpenClipMlp(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(OpenClipMlp))
    {
        _activation = config.Activation;
        c_fc = nn.Linear(config.Width, config.IntermediateSize, device: device, dtype: dtype);
        c_proj = nn.Linear(config.IntermediateSize, config.Width, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return c_proj.call(_activation.Apply(c_fc.call(x))).MoveToOuterDisposeScope();
    }
}
