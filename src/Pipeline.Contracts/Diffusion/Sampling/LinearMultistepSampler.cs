using static Pipeline.Diffusion.SamplingMath;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// Linear multistep (k-diffusion <c>sample_lms</c>, sgm <c>LinearMultistepSampler</c>): x += Σ_j c_j·d_{i−j} over the
/// last <see cref="Order"/> derivatives, with <see cref="LinearMultistepCoefficients"/>.
/// <para><see cref="LastStepReturnsDenoised"/>: true returns the denoised estimate on the last step (σ_{i+1} = 0)
/// instead of the multistep step, as ComfyUI's fork does (<c>lms_comfyui</c>); the two differ visibly there (up to
/// 0.27 on an 8-step sgm_uniform schedule in the reference set).</para>
/// </summary>
/// <param name="Order">How many past derivatives the step uses (1 … <see cref="LinearMultistepCoefficients.MaxOrder"/>).</param>
/// <param name="LastStepReturnsDenoised">Return the denoised estimate on the last step (ComfyUI) instead of the multistep step.</param>
public sealed record LinearMultistepSampler(int Order = 4, bool LastStepReturnsDenoised = false) : ISampler
{
    /// <inheritdoc/>
    public Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null)
    {
        if (Order < 1 || Order > LinearMultistepCoefficients.MaxOrder)
            throw new ArgumentOutOfRangeException(nameof(Order), $"order must be in [1, {LinearMultistepCoefficients.MaxOrder}], got {Order}");
        using var derivatives = new TensorHistory(Order);
        return SamplerLoop.Run(x, sigmas, options, (i, x) =>
        {
            var denoised = Denoise(denoise, x, sigmas[i]);
            derivatives.Push(ToD(x, sigmas[i], denoised));
            if (LastStepReturnsDenoised && sigmas[i + 1] == 0) return (denoised.alias(), denoised);
            int order = Math.Min(i + 1, Order);
            var update = zeros_like(x);
            for (int j = 0; j < order; j++)
                update = update + derivatives[j + 1] * LinearMultistepCoefficients.Coefficient(order, sigmas, i, j);
            return (x + update, denoised);
        });
    }
}
