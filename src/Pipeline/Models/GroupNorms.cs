using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models;

/// <summary>Construction of <see cref="GroupNorm"/> modules with PyTorch's initial values.</summary>
public static class GroupNorms
{
    /// <summary>
    /// <c>nn.GroupNorm</c> with weight 1 and bias 0. TorchSharp 0.107 allocates GroupNorm's affine parameters with
    /// <c>empty</c> and never fills them, so an unloaded model would otherwise compute with garbage (NaNs seen).
    /// </summary>
    public static GroupNorm Create(int groups, int channels, double eps, Device? device = null, ScalarType? dtype = null)
    {
        var norm = nn.GroupNorm(groups, channels, eps: eps, device: device, dtype: dtype);
        using var noGrad = no_grad();
        nn.init.ones_(norm.weight);
        nn.init.zeros_(norm.bias!);
        return norm;
    }
}
