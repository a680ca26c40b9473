namespace Guiders.Rescale;

/// <summary>The parameterisation in which <see cref="RescaleCFG"/> measures and matches standard deviations.</summary>
public enum RescaleSpace
{
    /// <summary>
    /// v-prediction, v = (x/(σ²+1) − x̂₀)·√(σ²+1)/σ, whatever the model predicts: the paper (its models predict v) and
    /// ComfyUI's <c>RescaleCFG</c> node.
    /// </summary>
    V,

    /// <summary>ε-prediction, ε = (x − x̂₀)/σ: diffusers' <c>guidance_rescale</c> on an ε model (SD, SDXL).</summary>
    Epsilon,
}
