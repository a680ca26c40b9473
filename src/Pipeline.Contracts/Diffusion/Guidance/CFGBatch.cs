using static TorchSharp.torch;

namespace Pipeline.Diffusion.Guidance;

/// <summary>
/// The batch layout of classifier-free guidance (sgm's <c>[uncond; cond]</c>) and its combination, shared by every
/// CFG-style guider (built-in and plugins).
/// </summary>
public static class CFGBatch
{
    /// <summary>x and σ twice, conditioning <c>[uncond; cond]</c> (the conditional one twice without an unconditional branch).</summary>
    public static (Tensor X, Tensor Sigma, Conditioning.Conditioning Conditioning) Prepare(
        Tensor x, Tensor sigma, Conditioning.Conditioning cond, Conditioning.Conditioning? uncond) =>
        (cat(new[] { x, x }, 0), cat(new[] { sigma, sigma }, 0), Conditioning.Conditioning.Concatenate(uncond ?? cond, cond));

    /// <summary>The unconditional and the conditional halves of a prepared batch's output.</summary>
    public static (Tensor Uncond, Tensor Cond) Split(Tensor denoised)
    {
        var halves = denoised.chunk(2, 0);
        return (halves[0], halves[1]);
    }

    /// <summary>x_u + scale·(x_c − x_u) (Ho &amp; Salimans 2022, eq. 6 in x̂₀ form).</summary>
    public static Tensor Guide(Tensor uncond, Tensor cond, double scale) => uncond + scale * (cond - uncond);
}
