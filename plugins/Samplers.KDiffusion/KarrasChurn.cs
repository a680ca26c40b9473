using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// The "churn" of Karras et al. (2022), Algorithm 2, lines 4–6, as k-diffusion's <c>sample_euler</c>,
/// <c>sample_heun</c> and <c>sample_dpm_2</c> apply it: where s_tmin ≤ σ_i ≤ s_tmax, γ = min(s_churn/N, √2 − 1)
/// raises σ_i to σ̂ = σ_i(γ + 1) by adding noise of std s_noise·√(σ̂² − σ_i²).
/// <para>k-diffusion draws the noise on every step, also when γ = 0 and it is not used; the ComfyUI fork (and
/// sgm) draw only when γ &gt; 0. <c>drawEveryStep</c> chooses, so a seeded stream reproduces either.</para>
/// </summary>
static class KarrasChurn
{
    public static void Validate(double sChurn, double sTmin, double sTmax, double sNoise)
    {
        if (!(sChurn >= 0) || !double.IsFinite(sChurn)) throw new ArgumentOutOfRangeException("s_churn", $"s_churn must be finite and >= 0, got {sChurn}");
        if (!(sNoise >= 0) || !double.IsFinite(sNoise)) throw new ArgumentOutOfRangeException("s_noise", $"s_noise must be finite and >= 0, got {sNoise}");
        if (double.IsNaN(sTmin) || double.IsNaN(sTmax) || sTmin > sTmax)
            throw new ArgumentException($"need s_tmin <= s_tmax, got {sTmin}, {sTmax}");
    }

    /// <summary>The churned state x̂ at σ̂ for step <paramref name="i"/> (x itself and σ_i when γ = 0).</summary>
    public static (Tensor X, double SigmaHat) Apply(Tensor x, Sigmas sigmas, int i, double sChurn, double sTmin, double sTmax,
        double sNoise, bool drawEveryStep, INoiseSource noise)
    {
        double sigma = sigmas[i];
        double gamma = sTmin <= sigma && sigma <= sTmax ? Math.Min(sChurn / sigmas.Steps, Math.Sqrt(2) - 1) : 0.0;
        var eps = drawEveryStep || gamma > 0 ? noise.Next(x) : null;
        if (gamma <= 0) return (x, sigma);
        double sigmaHat = (float)(sigma * (gamma + 1));
        return (x + eps! * (sNoise * Math.Sqrt(sigmaHat * sigmaHat - sigma * sigma)), sigmaHat);
    }
}
