namespace Pipeline.Adapters;

/// <summary>
/// One tensor name of an adapter file, read: the component, the module it belongs to (flattened, see
/// <see cref="AdapterTargetIndex.Flatten"/>), its role, and the naming style; or why it could not be read.
/// </summary>
/// <param name="Key">The tensor name as stored.</param>
/// <param name="Component">Null when the prefix is not one of an SDXL adapter.</param>
/// <param name="Module">The module's flattened name within the component; null when unreadable.</param>
/// <param name="Role">Null when the suffix is not an adapter tensor's.</param>
/// <param name="Diffusers">Whether the key uses the diffusers/PEFT prefixes (<c>unet.</c>, <c>text_encoder.</c>, <c>text_encoder_2.</c>).</param>
/// <param name="DottedModule">The module path with its dots, for the diffusers prefixes (PEFT alpha patterns match it).</param>
/// <param name="Problem">Why the key cannot be used (unknown prefix or suffix, unsupported algorithm); null when readable.</param>
public sealed record AdapterKeyName(string Key, AdapterComponent? Component, string? Module, KeyRole? Role, bool Diffusers,
    string? DottedModule, string? Problem)
{
    /// <summary>The module as the file names it: the key's prefix and module path, without the tensor suffix.</summary>
    public string ModuleName { get; init; } = Key;

    /// <summary>kohya/LyCORIS prefixes (module flattened with underscores) and the diffusers/PEFT prefixes (dotted).</summary>
    public static IReadOnlyList<(string Prefix, AdapterComponent Component, bool Diffusers)> Prefixes { get; } =
    [
        ("lora_unet_", AdapterComponent.Unet, false),
        ("lora_te1_", AdapterComponent.TextEncoder1, false),
        ("lora_te2_", AdapterComponent.TextEncoder2, false),
        ("unet.", AdapterComponent.Unet, true),
        ("text_encoder_2.", AdapterComponent.TextEncoder2, true),
        ("text_encoder.", AdapterComponent.TextEncoder1, true),
    ];

    /// <summary>Suffix → role (and, for unsupported ones, the algorithm); the longest matching suffix wins.</summary>
    public static IReadOnlyList<(string Suffix, KeyRole Role, string? Algorithm)> Suffixes { get; } =
    [
        (".lora_down.weight", KeyRole.LoraDown, null), (".lora_up.weight", KeyRole.LoraUp, null), (".lora_mid.weight", KeyRole.LoraMid, null),
        (".lora.down.weight", KeyRole.LoraDown, null), (".lora.up.weight", KeyRole.LoraUp, null),
        (".lora_linear_layer.down.weight", KeyRole.LoraDown, null), (".lora_linear_layer.up.weight", KeyRole.LoraUp, null),
        (".lora_A.weight", KeyRole.LoraDown, null), (".lora_B.weight", KeyRole.LoraUp, null),
        (".alpha", KeyRole.Alpha, null),
        (".hada_w1_a", KeyRole.HadaW1A, null), (".hada_w1_b", KeyRole.HadaW1B, null),
        (".hada_w2_a", KeyRole.HadaW2A, null), (".hada_w2_b", KeyRole.HadaW2B, null),
        (".hada_t1", KeyRole.HadaT1, null), (".hada_t2", KeyRole.HadaT2, null),
        (".lokr_w1_a", KeyRole.LokrW1A, null), (".lokr_w1_b", KeyRole.LokrW1B, null), (".lokr_w1", KeyRole.LokrW1, null),
        (".lokr_w2_a", KeyRole.LokrW2A, null), (".lokr_w2_b", KeyRole.LokrW2B, null), (".lokr_w2", KeyRole.LokrW2, null),
        (".lokr_t2", KeyRole.LokrT2, null),
        (".diff_b", KeyRole.DiffBias, null), (".diff", KeyRole.Diff, null),
        (".dora_scale", KeyRole.Dora, null), (".lora_magnitude_vector", KeyRole.Dora, null), (".lora_magnitude_vector.weight", KeyRole.Dora, null),
        (".lokr_t1", KeyRole.Unsupported, "LoKr lokr_t1 (LyCORIS never uses a Tucker core for w1)"),
        (".lora_A.bias", KeyRole.Unsupported, "PEFT lora_bias"), (".lora_B.bias", KeyRole.Unsupported, "PEFT lora_bias"),
        (".on_input", KeyRole.Unsupported, "LyCORIS IA3"),
        (".a1.weight", KeyRole.Unsupported, "LyCORIS GLoRA"), (".a2.weight", KeyRole.Unsupported, "LyCORIS GLoRA"),
        (".b1.weight", KeyRole.Unsupported, "LyCORIS GLoRA"), (".b2.weight", KeyRole.Unsupported, "LyCORIS GLoRA"),
        (".oft_blocks", KeyRole.Unsupported, "OFT/BOFT"), (".oft_diag", KeyRole.Unsupported, "OFT"), (".rescale", KeyRole.Unsupported, "OFT/BOFT"),
        (".w_norm", KeyRole.Unsupported, "LyCORIS norm"), (".b_norm", KeyRole.Unsupported, "LyCORIS norm"),
    ];

    /// <summary>diffusers' attention-processor LoRA names (<c>attn1.processor.to_q_lora.down.weight</c>) → module member.</summary>
    static readonly IReadOnlyList<(string Old, string Unet, string TextEncoder)> ProcessorNames =
    [
        ("to_q_lora", "to_q", "q_proj"), ("to_k_lora", "to_k", "k_proj"), ("to_v_lora", "to_v", "v_proj"), ("to_out_lora", "to_out.0", "out_proj"),
    ];

    /// <summary>Reads <paramref name="key"/>; never throws.</summary>
    public static AdapterKeyName Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var prefix = Prefixes.FirstOrDefault(p => key.StartsWith(p.Prefix, StringComparison.Ordinal));
        if (prefix.Prefix is null)
        {
            var hint = key.StartsWith("lora_te_", StringComparison.Ordinal)
                ? "lora_te_ names the single text encoder of SD 1.x/2.x; SDXL adapters use lora_te1_/lora_te2_"
                : $"unknown prefix; SDXL adapters start with {string.Join(", ", Prefixes.Select(p => p.Prefix))}";
            return new(key, null, null, null, false, null, hint);
        }
        var rest = RewriteProcessorName(key[prefix.Prefix.Length..], prefix.Component);
        var suffix = Suffixes.Where(s => rest.EndsWith(s.Suffix, StringComparison.Ordinal)).OrderByDescending(s => s.Suffix.Length).FirstOrDefault();
        if (suffix.Suffix is null || rest.Length == suffix.Suffix.Length)
            return new(key, prefix.Component, null, null, prefix.Diffusers, null,
                "not a tensor name of a supported adapter format (LoRA/LoCon .lora_down/.lora_up/.alpha, diffusers .lora.down/.lora.up, PEFT .lora_A/.lora_B, LoHa .hada_*, LoKr .lokr_*, full .diff/.diff_b)");
        var dotted = rest[..^suffix.Suffix.Length];
        var problem = suffix.Role == KeyRole.Unsupported ? $"{suffix.Algorithm} is not supported" : null;
        return new(key, prefix.Component, AdapterTargetIndex.Flatten(dotted), suffix.Role, prefix.Diffusers,
            prefix.Diffusers ? dotted : null, problem) { ModuleName = prefix.Prefix + dotted };
    }

    /// <summary><c>….processor.to_q_lora.down.weight</c> → <c>….to_q.lora.down.weight</c> (text encoders: <c>q_proj</c>).</summary>
    static string RewriteProcessorName(string rest, AdapterComponent component)
    {
        foreach (var (old, unet, text) in ProcessorNames)
        {
            var member = component == AdapterComponent.Unet ? unet : text;
            foreach (var form in new[] { $".processor.{old}.", $".{old}." })
            {
                int at = rest.IndexOf(form, StringComparison.Ordinal);
                if (at < 0) continue;
                var tail = rest[(at + form.Length)..];
                return rest[..at] + "." + member + (tail == "alpha" ? ".alpha" : ".lora." + tail);
            }
        }
        return rest;
    }
}
