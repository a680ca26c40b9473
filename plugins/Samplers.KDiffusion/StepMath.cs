using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// Scalar forms of k-diffusion's helpers for samplers that take one σ per step from a <see cref="Sigmas"/>
/// schedule (the same for every batch row). σ values handed to the model are float32, as in k-diffusion; the
/// step coefficients are computed in float64 and applied to float32 tensors.
/// </summary>
static class StepMath
{
    /// <summary>D(x; σ) with σ broadcast to a [B] float32 vector (k-diffusion's <c>model(x, sigma * s_in)</c>).</summary>
    public static Tensor Denoise(DenoiseFunction denoise, Tensor x, double sigma) =>
        denoise(x, SamplingMath.SigmaVector(x, (float)sigma));

    /// <summary>dx/dσ = (x − D)/σ (k-diffusion <c>to_d</c>), through the core's <see cref="SamplingMath.ToD"/>.</summary>
    public static Tensor Derivative(Tensor x, double sigma, Tensor denoised) =>
        SamplingMath.ToD(x, SamplingMath.SigmaVector(x, (float)sigma), denoised);

    /// <summary>
    /// k-diffusion's <c>get_ancestral_step(σ_from, σ_to, η)</c> via the core's <see cref="SamplingMath.AncestralStep"/>,
    /// evaluated on float32 scalars as k-diffusion does (so σ_down == 0 is exact when σ_to is 0 or η caps σ_up).
    /// </summary>
    public static (double Down, double Up) AncestralStep(double sigmaFrom, double sigmaTo, double eta)
    {
        using var scope = NewDisposeScope();
        var (down, up) = SamplingMath.AncestralStep(tensor(new[] { (float)sigmaFrom }), tensor(new[] { (float)sigmaTo }), eta);
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

    /// <summary>Validates the η and s_noise knobs shared by the ancestral and SDE samplers.</summary>
    public static void ValidateNoiseKnobs(double eta, double sNoise)
    {
        if (!(eta >= 0) || !double.IsFinite(eta)) throw new ArgumentOutOfRangeException(nameof(eta), $"eta must be finite and >= 0, got {eta}");
        if (!(sNoise >= 0) || !double.IsFinite(sNoise)) throw new ArgumentOutOfRangeException("s_noise", $"s_noise must be finite and >= 0, got {sNoise}");
    }
}
