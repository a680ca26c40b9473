using static TorchSharp.torch;

namespace Pipeline.Diffusion.Guidance;

/// <summary>
/// Classifier-free guidance (Ho &amp; Salimans 2022; sgm <c>VanillaCFG</c>): one batch <c>[uncond; cond]</c>,
/// combined as x_u + scale·(x_c − x_u).
/// </summary>
public sealed record VanillaCFG(double Scale) : IScalableGuider
{
    public IScalableGuider WithScale(double scale) => this with { Scale = scale };

    public (Tensor X, Tensor Sigma, Conditioning.Conditioning Conditioning) PrepareInputs(
        Tensor x, Tensor sigma, Conditioning.Conditioning cond, Conditioning.Conditioning? uncond) =>
        CFGBatch.Prepare(x, sigma, cond, uncond);

    public Tensor Combine(Tensor denoised, Tensor x, Tensor sigma)
    {
        var (uncond, cond) = CFGBatch.Split(denoised);
        return CFGBatch.Guide(uncond, cond, Scale);
    }
}
