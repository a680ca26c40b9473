namespace Pipeline.Training.Lora;

/// <summary>Which Linear layers of the UNet's transformer blocks get a LoRA (kohya's default for SDXL is all of them).</summary>
[Flags]
public enum LoraTargets
{
    None = 0,
    /// <summary>attn1/attn2 <c>to_q</c>, <c>to_k</c>, <c>to_v</c>, <c>to_out.0</c>.</summary>
    Attention = 1,
    /// <summary><c>ff.net.0.proj</c> (GEGLU) and <c>ff.net.2</c>.</summary>
    FeedForward = 2,
    /// <summary>The SpatialTransformer's <c>proj_in</c> / <c>proj_out</c> (Linear with use_linear_in_transformer; 1×1 convs are not targeted).</summary>
    Projection = 4,
    Default = Attention | FeedForward | Projection,
}

/// <summary>Pure name rules for <see cref="LoraTargets"/>.</summary>
public static class LoraTargetRules
{
    /// <summary>Whether the UNet module at <paramref name="path"/> (sgm name, e.g. <c>…transformer_blocks.0.attn1.to_q</c>) is a target.</summary>
    public static bool Matches(string path, LoraTargets targets)
    {
        bool attention = path.Contains(".attn", StringComparison.Ordinal)
            && (path.EndsWith(".to_q", StringComparison.Ordinal) || path.EndsWith(".to_k", StringComparison.Ordinal)
                || path.EndsWith(".to_v", StringComparison.Ordinal) || path.EndsWith(".to_out.0", StringComparison.Ordinal));
        bool ff = path.EndsWith(".ff.net.0.proj", StringComparison.Ordinal) || path.EndsWith(".ff.net.2", StringComparison.Ordinal);
        bool proj = path.EndsWith(".proj_in", StringComparison.Ordinal) || path.EndsWith(".proj_out", StringComparison.Ordinal);
        return (attention && targets.HasFlag(LoraTargets.Attention))
            || (ff && targets.HasFlag(LoraTargets.FeedForward))
            || (proj && targets.HasFlag(LoraTargets.Projection));
    }

    /// <summary>Parses <c>attention,ff,proj</c> (or <c>all</c>) into flags; an unknown name is an <see cref="ArgumentException"/>.</summary>
    public static LoraTargets Parse(string text)
    {
        var result = LoraTargets.None;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            result |= part switch
            {
                "all" => LoraTargets.Default,
                "attention" or "attn" => LoraTargets.Attention,
                "ff" or "feedforward" => LoraTargets.FeedForward,
                "proj" or "projection" => LoraTargets.Projection,
                _ => throw new ArgumentException($"unknown LoRA target '{part}'; valid: attention, ff, proj, all"),
            };
        return result == LoraTargets.None ? throw new ArgumentException("no LoRA target given; valid: attention, ff, proj, all") : result;
    }
}
