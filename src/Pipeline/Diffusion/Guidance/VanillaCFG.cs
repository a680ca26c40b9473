using static TorchSharp.torch;

namespace Pipeline.Diffusion.Guidance;

/// <summary>
/// Classifier-free guidance (Ho &amp; Salimans 2022; sgm <c>VanillaCFG</c>): one batch <c>[uncond; cond]</c>,
/// combined as x_u + scale·(x_c − x_u).
/// </summary>
public sealed record VanillaCFG(double Scale) : IGuider
{
    public (Tensor X, Tensor Sigma, Conditioning.Conditioning Conditioning) PrepareInputs(
        Tensor x, Tensor sigma, Conditioning.Conditioning cond, Conditioning.Conditioning? uncond) =>
        (cat(new[] { x, x }, 0), cat(new[] { sigma, sigma }, 0),
            Conditioning.Conditioning.Concatenate(uncond ?? cond, cond));

    public Tensor Combine(Tensor denoised, Tensor sigma)
    {
        var halves = denoised.chunk(2, 0);
        return halves[0] + Scale * (halves[1] - halves[0]);
    }
}
