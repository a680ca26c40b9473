using static TorchSharp.torch;

namespace Pipeline.Diffusion.Discretization;

/// <summary>
/// Karras et al. (2022) schedule, eq. 5 (sgm <c>EDMDiscretization</c>, k-diffusion <c>get_sigmas_karras</c>):
/// σ_i = (σ_max^(1/ρ) + i/(n−1) · (σ_min^(1/ρ) − σ_max^(1/ρ)))^ρ, evaluated in float32 as sgm does
/// (so σ_max = 80 comes out as 79.99998).
/// </summary>
public sealed record EDMDiscretization(double SigmaMin = 0.002, double SigmaMax = 80.0, double Rho = 7.0) : IDiscretization
{
    public Sigmas GetSigmas(int steps, bool appendZero = true)
    {
        if (steps < 1) throw new ArgumentOutOfRangeException(nameof(steps), $"steps must be >= 1, got {steps}");
        if (!(SigmaMin > 0 && SigmaMax > SigmaMin)) throw new ArgumentException($"need 0 < SigmaMin < SigmaMax, got {SigmaMin}, {SigmaMax}");
        if (!(Rho > 0)) throw new ArgumentException($"Rho must be positive, got {Rho}");
        using var scope = NewDisposeScope();
        double minInvRho = Math.Pow(SigmaMin, 1 / Rho), maxInvRho = Math.Pow(SigmaMax, 1 / Rho);
        var ramp = linspace(0, 1, steps, dtype: ScalarType.Float32);
        var sigmas = (maxInvRho + ramp * (minInvRho - maxInvRho)).pow(Rho);
        var values = sigmas.data<float>().ToArray();
        return new Sigmas(appendZero ? values.Append(0f) : values);
    }
}
