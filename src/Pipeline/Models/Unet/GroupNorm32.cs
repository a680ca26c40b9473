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
    // Not readonly: Module.to() replaces parameters through these fields.
    private Parameter weight;
    private Parameter bias;
    readonly int _groups;
    readonly double _eps;

    public GroupNorm32(long channels, int groups = 32, double eps = 1e-5, Device? device = null, ScalarType? dtype = null)
        : base(nameof(GroupNorm32))
    {
        if (groups < 1 || channels % groups != 0)
            throw new ArgumentException($"GroupNorm32: {channels} channels cannot be split into {groups} groups");
        _groups = groups;
        _eps = eps;
        weight = new Parameter(ones(channels, dtype: dtype, device: device));
        bias = new Parameter(zeros(channels, dtype: dtype, device: device));
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        var result = x.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32
            ? nn.functional.group_norm(x, _groups, weight, bias, _eps)
            : nn.functional.group_norm(x.to(ScalarType.Float32), _groups, weight.to(ScalarType.Float32), bias.to(ScalarType.Float32), _eps).to(x.dtype);
        return result.MoveToOuterDisposeScope();
    }
}
