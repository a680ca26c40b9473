using static TorchSharp.torch;

namespace Pipeline.Diffusion.Scaling;

/// <summary>Karras et al. (2022) Table 1 preconditioning: c_skip = σd²/(σ²+σd²), c_out = σσd/√(σ²+σd²),
/// c_in = 1/√(σ²+σd²), c_noise = ¼·ln σ.</summary>
public sealed record EDMScaling(double SigmaData = 0.5) : IDenoiserScaling
{
    public DenoiserScalings Get(Tensor sigma)
    {
        double sd2 = SigmaData * SigmaData;
        var s2 = sigma.pow(2) + sd2;
        return new(sd2 / s2, sigma * SigmaData / s2.sqrt(), 1 / s2.sqrt(), 0.25 * sigma.log());
    }
}
