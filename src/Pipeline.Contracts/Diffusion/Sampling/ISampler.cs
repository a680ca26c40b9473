using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// A sampler (sgm/k-diffusion): integrates from σ₀ to the last σ. Stateless: knobs live in the implementing
/// record, loop state stays local, randomness comes only from the noise source.
/// <para><c>x</c> follows k-diffusion's convention: it is already at sigmas[0] (pure noise scaled for σ₀,
/// see <c>NoiseStage.Initial</c>, or a latent noised to σ₀, or another run's latent stopped at σ₀); the sampler never
/// rescales it and never mutates the caller's tensor.</para>
/// </summary>
public interface ISampler
{
    /// <summary>
    /// Runs the schedule from sigmas[0] to its last σ and returns the new x (the caller's tensors are not modified).
    /// </summary>
    /// <param name="denoise">The guided denoiser D(x; σ) → x̂₀.</param>
    /// <param name="x">The start, already at sigmas[0].</param>
    /// <param name="sigmas">The schedule; one step per consecutive pair.</param>
    /// <param name="noise">The only source of randomness.</param>
    /// <param name="options">Step callback and cancellation (null: none).</param>
    Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null);
}
