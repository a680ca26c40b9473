namespace Pipeline.Diffusion.Discretization;

/// <summary>
/// The DDPM "scaled linear" noise schedule of SD/SDXL (sgm <c>make_beta_schedule("linear")</c>): β_t =
/// <c>linspace(√start, √end, T)²</c> and ᾱ_t = ∏(1 − β_s) for s ≤ t, in float64. The table every discrete-time schedule
/// over an SDXL model starts from (sgm's <c>LegacyDDPMDiscretization</c>, ComfyUI's <c>ModelSamplingDiscrete</c>).
/// </summary>
public static class ScaledLinearBetas
{
    /// <summary>SDXL's β range and step count.</summary>
    public const double SdxlLinearStart = 0.00085, SdxlLinearEnd = 0.012;

    /// <summary>SDXL's number of training timesteps.</summary>
    public const int SdxlNumTimesteps = 1000;

    /// <summary>ᾱ_t for t = 0 … T−1 (float64), as torch computes it in float64.</summary>
    /// <param name="linearStart">β_0; needs 0 &lt; <paramref name="linearStart"/> &lt; <paramref name="linearEnd"/>.</param>
    /// <param name="linearEnd">β_{T−1}; needs <paramref name="linearEnd"/> &lt; 1.</param>
    /// <param name="numTimesteps">T, at least 2.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="numTimesteps"/> is below 2.</exception>
    /// <exception cref="ArgumentException">the β range is not inside (0, 1) and increasing.</exception>
    public static double[] AlphasCumprod(double linearStart, double linearEnd, int numTimesteps)
    {
        if (numTimesteps < 2) throw new ArgumentOutOfRangeException(nameof(numTimesteps), $"NumTimesteps must be >= 2, got {numTimesteps}");
        if (!(linearStart > 0 && linearEnd > linearStart && linearEnd < 1))
            throw new ArgumentException($"need 0 < LinearStart < LinearEnd < 1, got {linearStart}, {linearEnd}");
        double a = Math.Sqrt(linearStart), b = Math.Sqrt(linearEnd), step = (b - a) / (numTimesteps - 1);
        var acp = new double[numTimesteps];
        double product = 1;
        for (int i = 0; i < numTimesteps; i++)
        {
            // torch.linspace (float64) fills the first half forwards and the second half backwards from the end.
            double root = i < numTimesteps / 2 ? a + step * i : b - step * (numTimesteps - 1 - i);
            product *= 1.0 - root * root;
            acp[i] = product;
        }
        return acp;
    }
}
