using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// The noise an ancestral step adds after its deterministic part: s_noise·σ_up·n, with n drawn for the interval
/// (σ_i, σ_{i+1}) (so a Brownian-tree source works), only while σ_{i+1} &gt; 0.
/// <para>sgm's ancestral samplers also draw on the last step and discard the draw; <c>drawOnLastStep</c> does the
/// same, so a replayed sgm stream stays aligned. k-diffusion and ComfyUI do not.</para>
/// </summary>
public static class AncestralNoise
{
    /// <summary>
    /// <paramref name="stepped"/> + s_noise·σ_up·n, n drawn from <paramref name="noise"/> for (σ, σ_next); the deterministic
    /// step alone when σ_next is 0 (drawing and discarding one tensor if <paramref name="drawOnLastStep"/>). A new tensor.
    /// </summary>
    public static Tensor Add(Tensor stepped, INoiseSource noise, double sigma, double sigmaNext, double sigmaUp, double sNoise,
        bool drawOnLastStep)
    {
        if (sigmaNext > 0) return stepped + noise.Next(stepped, sigma, sigmaNext) * (sNoise * sigmaUp);
        if (drawOnLastStep) noise.Next(stepped).Dispose();
        return stepped;
    }

    /// <summary>Validates η and s_noise, the knobs every ancestral and SDE sampler shares.</summary>
    public static void Validate(double eta, double sNoise)
    {
        if (!(eta >= 0) || !double.IsFinite(eta)) throw new ArgumentOutOfRangeException(nameof(eta), $"eta must be finite and >= 0, got {eta}");
        if (!(sNoise >= 0) || !double.IsFinite(sNoise)) throw new ArgumentOutOfRangeException("s_noise", $"s_noise must be finite and >= 0, got {sNoise}");
    }
}
