using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

/// <summary>
/// Min-SNR-γ weighting (Hang et al. 2023, "Efficient Diffusion Training via Min-SNR Weighting Strategy"; diffusers'
/// <c>--snr_gamma</c>): with SNR = σ⁻², λ = min(SNR, γ) on the x₀ loss, i.e. the ε loss (<see cref="EpsWeighting"/>)
/// times min(1, γ·σ²). Low noise levels, whose ε loss is large and noisy, stop dominating the gradient; above
/// σ = γ^-½ it equals the ε weighting. γ = 5 is the paper's and diffusers' recommendation.
/// </summary>
public sealed record MinSnrWeighting(double Gamma = 5.0) : ILossWeighting
{
    public double Gamma { get; } = Gamma > 0 && double.IsFinite(Gamma)
        ? Gamma : throw new ArgumentOutOfRangeException(nameof(Gamma), $"min-SNR gamma must be positive and finite, got {Gamma}");

    public Tensor Weight(Tensor sigma) => sigma.pow(-2.0).clamp_max(Gamma);
}
