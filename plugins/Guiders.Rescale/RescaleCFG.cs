using Pipeline.Diffusion;
using Pipeline.Diffusion.Guidance;
using static TorchSharp.torch;

namespace Guiders.Rescale;

/// <summary>
/// Classifier-free guidance with rescale (Lin et al. 2023, "Common Diffusion Noise Schedules and Sample Steps are
/// Flawed", §3.4, Algorithm 2): CFG at <see cref="Scale"/>, then the guided prediction p_cfg is rescaled so that its
/// per-sample standard deviation matches the conditional prediction's, blended by φ = <see cref="Rescale"/>:
/// p = φ·p_cfg·std(p_c)/std(p_cfg) + (1 − φ)·p_cfg, with std over all but the batch dim (unbiased, as torch.std).
/// φ = 0 is plain CFG; scale 1 is the conditional prediction. <see cref="Space"/> chooses the prediction p (v or ε).
/// <para>Both spaces are affine in x̂₀ per sample: p = k(σ)·(a·x − x̂₀) with a = 1/(σ²+1) for v and a = 1 for ε. The
/// factor k(σ) cancels in the std ratio, so the guider computes in the unscaled form and never divides by σ.</para>
/// </summary>
public sealed record RescaleCFG(double Scale = 5.0, double Rescale = 0.7, RescaleSpace Space = RescaleSpace.V) : IScalableGuider
{
    public IScalableGuider WithScale(double scale) => this with { Scale = scale };

    public (Tensor X, Tensor Sigma, Pipeline.Conditioning.Conditioning Conditioning) PrepareInputs(
        Tensor x, Tensor sigma, Pipeline.Conditioning.Conditioning cond, Pipeline.Conditioning.Conditioning? uncond)
    {
        Validate();
        return CFGBatch.Prepare(x, sigma, cond, uncond);
    }

    public Tensor Combine(Tensor denoised, Tensor x, Tensor sigma)
    {
        using var scope = NewDisposeScope();
        var (uncond, cond) = CFGBatch.Split(denoised);
        var guided = CFGBatch.Guide(uncond, cond, Scale);
        if (Rescale == 0) return guided.MoveToOuterDisposeScope();
        var ax = Space == RescaleSpace.V ? x / (SamplingMath.AppendDims(sigma, x.dim()).pow(2) + 1.0) : x.alias();
        var pCond = ax - cond;
        var pGuided = ax - guided;
        var factor = Rescale * (Std(pCond) / Std(pGuided)) + (1.0 - Rescale);
        return (ax - pGuided * factor).MoveToOuterDisposeScope();
    }

    /// <summary>Per-sample standard deviation over all but the batch dim, kept broadcastable.</summary>
    static Tensor Std(Tensor t) => t.std(Enumerable.Range(1, (int)t.dim() - 1).Select(d => (long)d).ToArray(), unbiased: true, keepdim: true);

    void Validate()
    {
        if (!double.IsFinite(Scale) || Scale < 0) throw new ArgumentOutOfRangeException(nameof(Scale), $"guidance scale {Scale} must be finite and >= 0");
        if (!(Rescale >= 0 && Rescale <= 1)) throw new ArgumentOutOfRangeException(nameof(Rescale), $"guidance rescale {Rescale} must be in [0, 1]");
        if (!Enum.IsDefined(Space)) throw new ArgumentOutOfRangeException(nameof(Space), $"rescale space {Space} is not one of {string.Join(", ", Enum.GetNames<RescaleSpace>())}");
    }
}
