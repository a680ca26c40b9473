using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models;

/// <summary>
/// Normalisations computed in float32 whatever the model's dtype, returned in the input's dtype: the precision policy
/// of sgm's reduced-precision runs (autocast keeps norms in float32). A norm's mean/variance reduction in bfloat16
/// depends on the CPU's kernel; in float32 it does not, so a bf16 model gives the same result on every machine
/// within the rounding of its matmuls and convolutions.
/// </summary>
public static class Float32Norms
{
    public static Tensor LayerNorm(LayerNorm norm, Tensor x)
    {
        if (x.dtype == ScalarType.Float32 && norm.weight!.dtype == ScalarType.Float32) return norm.call(x);
        using var scope = NewDisposeScope();
        return nn.functional.layer_norm(x.to(ScalarType.Float32), norm.normalized_shape, norm.weight!.to(ScalarType.Float32),
            norm.bias?.to(ScalarType.Float32), norm.eps).to(x.dtype).MoveToOuterDisposeScope();
    }

    public static Tensor GroupNorm(GroupNorm norm, Tensor x, int groups, double eps)
    {
        if (x.dtype == ScalarType.Float32 && norm.weight!.dtype == ScalarType.Float32) return norm.call(x);
        using var scope = NewDisposeScope();
        return nn.functional.group_norm(x.to(ScalarType.Float32), groups, norm.weight!.to(ScalarType.Float32),
            norm.bias?.to(ScalarType.Float32), eps).to(x.dtype).MoveToOuterDisposeScope();
    }
}
