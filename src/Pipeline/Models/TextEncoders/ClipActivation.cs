using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>The MLP activation of a CLIP text tower.</summary>
public enum ClipActivation
{
    /// <summary><c>x · sigmoid(1.702 x)</c>, OpenAI CLIP / transformers <c>quick_gelu</c> (CLIP ViT-L/14).</summary>
    QuickGelu,

    /// <summary>Exact GELU with erf (open_clip <c>nn.GELU</c>, ViT-bigG-14).</summary>
    Gelu,
}

public static class ClipActivations
{
    public static Tensor Apply(this ClipActivation activation, Tensor x) => activation switch
    {
        ClipActivation.QuickGelu => x * nn.functional.sigmoid(x * 1.702),
        ClipActivation.Gelu => nn.functional.gelu(x),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation,
            $"unknown activation; valid: {string.Join(", ", Enum.GetNames<ClipActivation>())}"),
    };

    /// <summary>Parses the names used by transformers (<c>quick_gelu</c>, <c>gelu</c>) and open_clip (<c>GELU</c>, <c>QuickGELU</c>).</summary>
    public static ClipActivation Parse(string name)
    {
        var key = name.Trim().ToLowerInvariant().Replace("_", "").Replace(" ", "");
        if (key.StartsWith("quickgelu", StringComparison.Ordinal)) return ClipActivation.QuickGelu;
        if (key.StartsWith("gelu", StringComparison.Ordinal)) return ClipActivation.Gelu;
        throw new ArgumentException($"unknown CLIP activation '{name}'; valid: quick_gelu, gelu");
    }
}
