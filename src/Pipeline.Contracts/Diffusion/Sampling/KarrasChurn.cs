using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// The "churn" of Karras et al. (2022), Algorithm 2, lines 4–6, shared by the Euler, Heun and DPM-2 samplers: where
/// s_tmin ≤ σ_i ≤ s_tmax, γ = min(s_churn/N, √2 − 1) raises σ_i to σ̂ = σ_i(γ + 1) by adding noise of std
/// s_noise·√(σ̂² − σ_i²).
/// <para>sgm and ComfyUI draw that noise only when γ &gt; 0; k-diffusion draws it on every step, also when it is not
/// used. <c>drawNoiseEveryStep</c> chooses, so a seeded stream reproduces either.</para>
/// </summary>
public static class KarrasChurn
{
    /// <summary>Validates the churn knobs, naming the knob and its valid range.</summary>
    public static void Validate(double sChurn, double sTmin, double sTmax, double sNoise)
    {
        if (!(sChurn >= 0) || !double.IsFinite(sChurn)) throw new ArgumentOutOfRangeException("s_churn", $"s_churn must be finite and >= 0, got {sChurn}");
        if (!(sNoise >= 0) || !double.IsFinite(sNoise)) throw new ArgumentOutOfRangeException("s_noise", $"s_noise must be finite and >= 0, got {sNoise}");
        if (double.IsNaN(sTmin) || double.IsNaN(sTmax) || sTmin > sTmax)
            throw new ArgumentException($"need s_tmin <= s_tmax, got {sTmin}, {sTmax}");
    }

    /// <summary>γ_i (N = number of steps).</summary>
    public static double Gamma(Sigmas sigmas, int i, double sChurn, double sTmin, double sTmax) =>
        sTmin <= sigmas[i] && sigmas[i] <= sTmax ? Math.Min(sChurn / sigmas.Steps, Math.Sqrt(2) - 1) : 0.0;

    /// <summary>The churned state x̂ at σ̂ for step <paramref name="i"/> (x itself and σ_i when γ = 0).</summary>
    public static (Tensor X, double SigmaHat) Apply(Tensor x, Sigmas sigmas, int i, double sChurn, double sTmin, double sTmax,
        double sNoise, bool drawNoiseEveryStep, INoiseSource noise)
    {
        double sigma = sigmas[i];
        double gamma = Gamma(sigmas, i, sChurn, sTmin, sTmax);
        var eps = drawNoiseEveryStep || gamma > 0 ? noise.Next(x) : null;
        if (gamma <= 0) return (x, sigma);
        double sigmaHat = (float)(sigma * (gamma + 1));
        return (x + eps! * (sNoise * Math.Sqrt(sigmaHat * sigmaHat - sigma * sigma)), sigmaHat);
    }
}
