using System.Text.Json;
using System.Text.RegularExpressions;

namespace Pipeline.Adapters;

/// <summary>
/// The LoRA scale diffusers stores for PEFT adapters without per-module <c>.alpha</c> tensors: the safetensors metadata
/// entry <c>lora_adapter_metadata</c>, a JSON object of each component's PEFT <c>LoraConfig</c> under the component's prefix
/// (<c>unet.lora_alpha</c>, <c>unet.use_rslora</c>, <c>unet.alpha_pattern</c>, <c>text_encoder.lora_alpha</c>,
/// <c>text_encoder_2.…</c>). scale = alpha / r (rsLoRA: alpha / √r), r being the module's actual rank; an
/// <c>alpha_pattern</c> entry whose key matches the end of the module path (PEFT's <c>(.*\.)?pattern$</c>) overrides alpha.
/// </summary>
public sealed record PeftAlphas(IReadOnlyDictionary<AdapterComponent, PeftAlphas.Config> Components)
{
    public const string MetadataKey = "lora_adapter_metadata";

    /// <summary>One component's alpha settings.</summary>
    public sealed record Config(double? Alpha, bool RsLora, IReadOnlyList<(string Pattern, double Alpha)> Patterns);

    public static PeftAlphas None { get; } = new(new Dictionary<AdapterComponent, Config>());

    static readonly (string Prefix, AdapterComponent Component)[] Prefixes =
        [("unet.", AdapterComponent.Unet), ("text_encoder.", AdapterComponent.TextEncoder1), ("text_encoder_2.", AdapterComponent.TextEncoder2)];

    /// <summary>Reads the metadata; throws <see cref="ArgumentException"/> naming the entry when it is not what diffusers writes.</summary>
    public static PeftAlphas Read(IReadOnlyDictionary<string, string> metadata, string source)
    {
        if (!metadata.TryGetValue(MetadataKey, out var json)) return None;
        try
        {
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 8 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException("not a JSON object");
            var result = new Dictionary<AdapterComponent, Config>();
            foreach (var (prefix, component) in Prefixes)
            {
                var root = doc.RootElement;
                double? alpha = root.TryGetProperty(prefix + "lora_alpha", out var a) ? Number(a, prefix + "lora_alpha") : null;
                bool rs = root.TryGetProperty(prefix + "use_rslora", out var r) && r.ValueKind == JsonValueKind.True;
                var patterns = new List<(string, double)>();
                if (root.TryGetProperty(prefix + "alpha_pattern", out var p) && p.ValueKind == JsonValueKind.Object)
                    foreach (var entry in p.EnumerateObject()) patterns.Add((entry.Name, Number(entry.Value, $"{prefix}alpha_pattern.{entry.Name}")));
                if (alpha is not null || rs || patterns.Count > 0) result[component] = new Config(alpha, rs, patterns);
            }
            return new PeftAlphas(result);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
        {
            throw new ArgumentException($"{source}: metadata '{MetadataKey}' is not diffusers' PEFT adapter config: {e.Message}");
        }
    }

    static double Number(JsonElement e, string name)
    {
        if (e.ValueKind != JsonValueKind.Number || !e.TryGetDouble(out var v) || !double.IsFinite(v))
            throw new FormatException($"'{name}' is {e.GetRawText()}, not a finite number");
        return v;
    }

    /// <summary>The alpha for the module at <paramref name="dottedModule"/> of <paramref name="component"/> (null: none stored) and whether rsLoRA scaling applies.</summary>
    public (double? Alpha, bool RsLora) For(AdapterComponent component, string dottedModule)
    {
        if (!Components.TryGetValue(component, out var config)) return (null, false);
        foreach (var (pattern, alpha) in config.Patterns)
            if (Matches(pattern, dottedModule)) return (alpha, config.RsLora);
        return (config.Alpha, config.RsLora);
    }

    static bool Matches(string pattern, string module)
    {
        if (module == pattern || module.EndsWith("." + pattern, StringComparison.Ordinal)) return true;
        try { return Regex.IsMatch(module, $@"^(.*\.)?({pattern})$", RegexOptions.None, TimeSpan.FromMilliseconds(100)); }
        catch (Exception e) when (e is ArgumentException or RegexMatchTimeoutException) { return false; }
    }
}
