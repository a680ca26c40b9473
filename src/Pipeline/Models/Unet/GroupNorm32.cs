using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Unet;

/// <summary>
/// sgm's <c>GroupNorm32</c> (<c>normalization(channels)</c>): GroupNorm with 32 groups, eps 1e-5, always computed in
/// float32 and returned in the input's dtype, so half/bfloat16 models keep full-precision statistics.
/// </summary>
public sealed class GroupNorm32 : nn.Module<Tensor, Tensor>
{
    // Registered explicitly as "weight"/"bias"; the public settable properties of the same names let a model built on
    // the meta device be materialised in place (Checkpoints.ModuleState), the convention TorchSharp's own modules follow.
    private Parameter _weight;
    private Parameter _bias;
    readonly int _groups;
    readonly double _eps;

    public GroupNorm32(long channels, int groups = 32, double eps = 1e-5, Device? device = null, ScalarType? dtype = null)
        : base(nameof(GroupNorm32))
    {
        if (groups < 1 || channels % groups != 0)
            throw new ArgumentException($"GroupNorm32: {channels} channels cannot be split into {groups} groups");
        _groups = groups;
        _eps = eps;
        _weight = new Parameter(ones(channels, dtype: dtype, device: device));
        _bias = new Parameter(zeros(channels, dtype: dtype, device: device));
        register_parameter("weight", _weight);
        register_parameter("bias", _bias);
    }

    /// <summary>γ (state-dict key <c>weight</c>).</summary>
    public Parameter weight
    {
        get => _weight;
        set => _weight = Replace(_weight, nameof(weight), value);
    }

    /// <summary>β (state-dict key <c>bias</c>).</summary>
    public Parameter bias
    {
        get => _bias;
        set => _bias = Replace(_bias, nameof(bias), value);
    }

    Parameter Replace(Parameter old, string name, Parameter value) =>
        Checkpoints.ParameterSlot.Replace(old, value, p => ConditionallyRegisterParameter(name, p));

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var result = x.dtype == ScalarType.Float32 && _weight.dtype == ScalarType.Float32
            ? nn.functional.group_norm(x, _groups, _weight, _bias, _eps)
            : nn.functional.group_norm(x.to(ScalarType.Float32), _groups, _weight.to(ScalarType.Float32), _bias.to(ScalarType.Float32), _eps).to(x.dtype);
        return result.MoveToOuterDisposeScope();
    }
}
