namespace Pipeline.Conditioning;

/// <summary>How per-token prompt weights act on a text encoder's hidden states.</summary>
public enum TokenEmphasis
{
    /// <summary>Weights are ignored (sgm; A1111's "None").</summary>
    None,

    /// <summary>
    /// A1111's "Original" emphasis: each token's hidden state is multiplied by its weight, then the whole sequence is
    /// rescaled so its mean equals the unweighted mean (per prompt and chunk).
    /// </summary>
    A1111,

    /// <summary>ComfyUI: each weighted token's hidden state moves from the empty prompt's state at that position, z = (z − e)·w + e.</summary>
    Comfy,
}
