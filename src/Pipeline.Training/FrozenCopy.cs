using Pipeline.Models.Vae;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>A frozen copy of a VAE in another dtype (e.g. a bfloat16 encoder for training latents, a bfloat16 teacher for
/// distillation): same config and device, every parameter rounded from the source's, none requiring grad. The caller owns it.</summary>
public static class FrozenCopy
{
    public static AutoencoderKL Of(AutoencoderKL vae, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(vae);
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16 or ScalarType.Float16 or ScalarType.Float64))
            throw new ArgumentException($"a VAE copy in {dtype}: not a floating-point type (float32, bfloat16, float16, float64)");
        var copy = new AutoencoderKL(vae.Config, vae.parameters().First().device, dtype);
        using var noGrad = no_grad();
        var source = vae.state_dict();
        foreach (var (name, p) in copy.named_parameters()) p.copy_(source[name]);
        foreach (var p in copy.parameters()) p.requires_grad = false;
        return copy;
    }
}
