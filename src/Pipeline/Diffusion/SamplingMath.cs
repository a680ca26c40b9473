using static TorchSharp.torch;

namespace Pipeline.Diffusion;

/// <summary>Small shared formulas of the samplers (k-diffusion's helpers), each named after what it computes.</summary>
public static class SamplingMath
{
    /// <summary>Appends singleton dims so a [B] tensor broadcasts against an <paramref name="ndim"/>-dim batch.</summary>
    public static Tensor AppendDims(Tensor t, long ndim)
    {
        long missing = ndim - t.dim();
        if (missing < 0) throw new ArgumentException($"tensor has {t.dim()} dims, more than the target {ndim}");
        return t.reshape(t.shape.Concat(Enumerable.Repeat(1L, (int)missing)).ToArray());
    }

    /// <summary>The ODE derivative dx/dσ = (x − D(x; σ)) / σ (Karras et al. 2022, eq. 4).</summary>
    public static Tensor ToD(Tensor x, Tensor sigma, Tensor denoised) => (x - denoised) / AppendDims(sigma, x.dim());

    /// <summary>
    /// σ_down and σ_up of an ancestral step from σ_from to σ_to with η: σ_up = min(σ_to, η·√(σ_to²(σ_from² − σ_to²)/σ_from²)),
    /// σ_down = √(σ_to² − σ_up²). With η = 0 the step is deterministic (σ_down = σ_to, σ_up = 0).
    /// </summary>
    public static (Tensor Down, Tensor Up) AncestralStep(Tensor sigmaFrom, Tensor sigmaTo, double eta)
    {
        if (eta == 0) return (sigmaTo.alias(), zeros_like(sigmaTo));
        var up = minimum(sigmaTo, eta * (sigmaTo.pow(2) * (sigmaFrom.pow(2) - sigmaTo.pow(2)) / sigmaFrom.pow(2)).pow(0.5));
        var down = (sigmaTo.pow(2) - up.pow(2)).pow(0.5);
        return (down, up);
    }

    /// <summary>t = −ln σ (DPM-Solver's time variable).</summary>
    public static Tensor ToNegLogSigma(Tensor sigma) => sigma.log().neg();

    /// <summary>σ = e^(−t).</summary>
    public static Tensor ToSigma(Tensor negLogSigma) => negLogSigma.neg().exp();

    /// <summary>A [B] vector filled with σ (sgm's <c>s_in * sigmas[i]</c>).</summary>
    public static Tensor SigmaVector(Tensor x, float sigma) => full(new[] { x.shape[0] }, sigma, ScalarType.Float32, x.device);

    /// <summary>sgm's start for pure noise: unit-variance draws times √(1 + σ₀²), as a new tensor (used by the Noise stage).</summary>
    public static Tensor ScaleInitialNoise(Tensor x, Sigmas sigmas) => x * Math.Sqrt(1.0 + (double)sigmas[0] * sigmas[0]);

    /// <summary>Sum of a [B] tensor below a threshold, i.e. "every noise level in the batch is 0".</summary>
    public static bool AllZero(Tensor sigma) => sigma.sum().item<float>() < 1e-14f;
}
