using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>The guided denoiser a sampler drives: x [B, …], σ [B] → x̂₀ (a new tensor).</summary>
public delegate Tensor DenoiseFunction(Tensor x, Tensor sigma);

/// <summary>What a sampler reports after each step. The tensors belong to the step's dispose scope and are only valid
/// during the call: keep one with <c>x.clone().DetachFromDisposeScope()</c> (and dispose it yourself).</summary>
public readonly record struct SamplerStep(int Index, int Count, float Sigma, float NextSigma, Tensor X, Tensor Denoised);

/// <summary>Progress callback and cancellation for a sampling run.</summary>
public sealed record SamplingOptions(Action<SamplerStep>? OnStep = null, CancellationToken Cancellation = default)
{
    public static SamplingOptions None { get; } = new();
}

/// <summary>
/// A sampler (sgm/k-diffusion): integrates from σ₀ to the last σ. Stateless: knobs live in the implementing
/// record, loop state stays local, randomness comes only from <paramref name="noise"/>.
/// <para><paramref name="x"/> follows k-diffusion's convention: it is already at sigmas[0] (pure noise scaled for σ₀,
/// see <c>NoiseStage.Initial</c>, or a latent noised to σ₀, or another run's latent stopped at σ₀); the sampler never
/// rescales it and never mutates the caller's tensor.</para>
/// </summary>
public interface ISampler
{
    Tensor Sample(DenoiseFunction denoise, Tensor x, Sigmas sigmas, INoiseSource noise, SamplingOptions? options = null);
}
