using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>
/// <c>nn.MultiheadAttention</c> as open_clip's text blocks use it: q, k, v stacked in <c>in_proj_weight</c>
/// [3·width, width] (rows q, k, v) and <c>in_proj_bias</c>, then <c>out_proj</c>; causal mask.
/// </summary>
public sealed class OpenClipAttention : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = nameof(in_proj_weight))]
    private Parameter _inProjWeight;
    [ComponentName(Name = nameof(in_proj_bias))]
    private Parameter _inProjBias;
    private readonly Linear out_proj;
    private readonly int _heads;

    public OpenClipAttention(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(OpenClipAttention))
    {
        _heads = config.Heads;
        using (no_grad())
        {
            // nn.MultiheadAttention's own initialisation: xavier-uniform weight, zero bias.
            _inProjWeight = new Parameter(nn.init.xavier_uniform_(empty(3L * config.Width, config.Width, dtype: dtype, device: device)));
            _inProjBias = new Parameter(zeros(3L * config.Width, dtype: dtype, device: device));
        }
        out_proj = nn.Linear(config.Width, config.Width, device: device, dtype: dtype);
        RegisterComponents();
    }

    public Parameter in_proj_weight
    {
        get => _inProjWeight;
        set => _inProjWeight = Swap(nameof(in_proj_weight), _inProjWeight, value);
    }

    public Parameter in_proj_bias
    {
        get => _inProjBias;
        set => _inProjBias = Swap(nameof(in_proj_bias), _inProjBias, value);
    }

    Parameter Swap(string name, Parameter old, Parameter value) =>
        Checkpoints.ParameterSlot.Replace(old, value, p => ConditionallyRegisterParameter(name, p));

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var qkv = nn.functional.linear(x, _inProjWeight, _inProjBias).chunk(3, -1);
        var attended = CausalSelfAttention.Apply(qkv[0], qkv[1], qkv[2], _heads);
        return out_proj.forward(attended).MoveToOuterDisposeScope();
    }
}
