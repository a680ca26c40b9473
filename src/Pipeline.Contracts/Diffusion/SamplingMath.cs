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

    /// <summary>A [B] vector filled with σ (sgm's <c>s_in * sigmas[i]</c>).</summary>
    public static Tensor SigmaVector(Tensor x, float sigma) => full(new[] { x.shape[0] }, sigma, ScalarType.Float32, x.device);

    /// <summary>sgm's start for pure noise: unit-variance draws times √(1 + σ₀²), as a new tensor (used by the Noise stage).</summary>
    public static Tensor ScaleInitialNoise(Tensor x, Sigmas sigmas) => x * Math.Sqrt(1.0 + (double)sigmas[0] * sigmas[0]);

    // Scalar forms: a sampler takes one σ per step from its Sigmas schedule (the same for every batch row). σ values
    // handed to the model are float32, as in k-diffusion; step coefficients are computed in float64 and applied to
    // float32 tensors.

    /// <summary>D(x; σ) with σ broadcast to a [B] float32 vector (k-diffusion's <c>model(x, sigma * s_in)</c>).</summary>
    public static Tensor Denoise(Sampling.DenoiseFunction denoise, Tensor x, double sigma) => denoise(x, SigmaVector(x, (float)sigma));

    /// <summary>dx/dσ = (x − D)/σ (k-diffusion <c>to_d</c>) at one σ for the whole batch.</summary>
    public static Tensor ToD(Tensor x, double sigma, Tensor denoised) => ToD(x, SigmaVector(x, (float)sigma), denoised);

    /// <summary>
    /// <see cref="AncestralStep(Tensor, Tensor, double)"/> on float32 scalars, as k-diffusion evaluates
    /// <c>get_ancestral_step</c> (so σ_down == 0 is exact when σ_to is 0 or η caps σ_up).
    /// </summary>
    public static (double Down, double Up) AncestralStep(double sigmaFrom, double sigmaTo, double eta)
    {
        using var scope = NewDisposeScope();
        var (down, up) = AncestralStep(tensor(new[] { (float)sigmaFrom }), tensor(new[] { (float)sigmaTo }), eta);
        return (down.item<float>(), up.item<float>());
    }

    /// <summary>t = −ln σ, DPM-Solver's time (half log-SNR for ε models); +∞ for σ = 0.</summary>
    public static double NegLogSigma(double sigma) => -Math.Log(sigma);

    /// <summary>eˣ − 1 without cancellation for small |x| (Kahan's method); −1 at −∞.</summary>
    public static double ExpM1(double x)
    {
        if (double.IsPositiveInfinity(x)) return double.PositiveInfinity;
        double u = Math.Exp(x);
        if (u == 1.0) return x;
        double um1 = u - 1.0;
        if (um1 == -1.0) return -1.0;
        return um1 * x / Math.Log(u);
    }
}
