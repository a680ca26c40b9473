using Pipeline.Diffusion.Denoising;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

public enum DiffusionLossType { L2, L1 }

/// <summary>
/// sgm <c>StandardDiffusionLoss</c>: σ ~ sigma sampler, n ~ N(0, I) (+ offset noise: one extra N(0,1) per sample
/// times <see cref="OffsetNoiseLevel"/>, broadcast over channels and pixels), x̂ = D(x + n·σ; σ), loss per sample
/// = mean(λ(σ)·(x̂ − x)²) (or |·| for L1). Draws come in this order from the injected random source:
/// sigmas, noise, offset noise.
/// </summary>
public sealed record StandardDiffusionLoss(ISigmaSampler SigmaSampler, ILossWeighting Weighting,
    DiffusionLossType Type = DiffusionLossType.L2, double OffsetNoiseLevel = 0.0)
{
    /// <summary>Per-sample loss [B] for clean latents <paramref name="input"/> [B, …].</summary>
    public Tensor PerSample(IDenoiser denoiser, IDiffusionNetwork network, Tensor input, Conditioning.Conditioning conditioning,
        IRandomSource random)
    {
        if (OffsetNoiseLevel < 0) throw new ArgumentOutOfRangeException(nameof(OffsetNoiseLevel), "offset noise level must be >= 0");
        using var scope = NewDisposeScope();
        long b = input.shape[0];
        var sigmas = SigmaSampler.Sample((int)b, random, input.device).to(input.dtype);
        var noise = random.Normal(input.shape, input.device).to(input.dtype);
        if (OffsetNoiseLevel > 0.0)
            noise = noise + OffsetNoiseLevel * SamplingMath.AppendDims(random.Normal(new[] { b }, input.device).to(input.dtype), input.dim());
        var noised = input + noise * SamplingMath.AppendDims(sigmas, input.dim());
        var output = denoiser.Denoise(network, noised, sigmas, conditioning);
        var w = SamplingMath.AppendDims(Weighting.Weight(sigmas), input.dim());
        return Loss(output, input, w).MoveToOuterDisposeScope();
    }

    /// <summary>mean over all but the batch dim of λ·(x̂ − x)² (or λ·|x̂ − x|).</summary>
    public Tensor Loss(Tensor modelOutput, Tensor target, Tensor weight)
    {
        var diff = modelOutput - target;
        var elementwise = Type == DiffusionLossType.L2 ? weight * diff.pow(2) : weight * diff.abs();
        return elementwise.reshape(target.shape[0], -1).mean(new long[] { 1 });
    }
}
