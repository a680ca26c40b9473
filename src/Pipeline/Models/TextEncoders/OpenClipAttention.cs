using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>
/// <c>nn.MultiheadAttention</c> as open_clip's text blocks use it: q, k, v stacked in <c>in_proj_weight</c>
/// [3·width, width] (rows q, k, v) and <c>in_proj_bias</c>, then <c>out_proj</c>; causal mask. The fused projection runs
/// through <see cref="InProjection"/> and <c>out_proj</c> through <c>Module.call</c>, so forward hooks on them (LoRA
/// training, on-the-fly adapters) see and change their outputs.
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
        // Created after RegisterComponents so it is not a child: the state dict keeps in_proj_weight/in_proj_bias here.
        _inProjection = new FusedInProjection(this);
    }

    private readonly FusedInProjection _inProjection;

    /// <summary>x ↦ x · in_proj_weightᵀ + in_proj_bias ([…, 3·width]: q, k, v) as a module of its own for hooks. It owns no
    /// parameters (it reads this module's current ones) and is not registered as a child, so names and state stay as open_clip's.</summary>
    public nn.Module<Tensor, Tensor> InProjection => _inProjection;

    protected override void Dispose(bool disposing)
    {
        if (disposing) _inProjection.Dispose();
        base.Dispose(disposing);
    }

    sealed class FusedInProjection(OpenClipAttention owner) : nn.Module<Tensor, Tensor>(nameof(FusedInProjection))
    {
        public override Tensor forward(Tensor x) => nn.functional.linear(x, owner._inProjWeight, owner._inProjBias);
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
        var qkv = _inProjection.call(x).chunk(3, -1);
        var attended = CausalSelfAttention.Apply(qkv[0], qkv[1], qkv[2], _heads);
        return out_proj.call(attended).MoveToOuterDisposeScope();
    }
}
