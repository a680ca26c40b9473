using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>transformers <c>CLIPMLP</c>: <c>fc2(act(fc1(x)))</c>.</summary>
public sealed class ClipMlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear fc1;
    private readonly Linear fc2;
    private readonly ClipActivation _activation;

    public ClipMlp(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipMlp))
    {
        _activation = config.Activation;
        fc1 = nn.Linear(config.Width, config.IntermediateSize, device: device, dtype: dtype);
        fc2 = nn.Linear(config.IntermediateSize, config.Width, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        return fc2.call(_activation.Apply(fc1.call(x))).MoveToOuterDisposeScope();
    }
}
