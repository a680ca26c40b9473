using System.Globalization;
using Pipeline.Tokenize.Prompts;

namespace Pipeline.Adapters;

/// <summary>
/// A1111's LoRA prompt tags (<c>extensions-builtin/Lora</c>): <c>&lt;lora:name&gt;</c>, <c>&lt;lora:name:te&gt;</c>,
/// <c>&lt;lora:name:te:unet&gt;</c> and the named forms <c>te=</c>, <c>unet=</c>; the UNet strength defaults to the text
/// encoders' and that to 1. <c>lyco</c> tags are read the same way (A1111 treats them as LoRA).
/// </summary>
public static class LoraTags
{
    /// <summary>Tag kinds that name a LoRA/LyCORIS file.</summary>
    public static readonly IReadOnlySet<string> Kinds = new HashSet<string>(StringComparer.Ordinal) { "lora", "lyco" };

    /// <summary>Whether <paramref name="tag"/> names a LoRA.</summary>
    public static bool IsLora(ExtraNetworkTag tag) => Kinds.Contains(tag.Kind);

    /// <summary>Why tags of kinds that name no adapter (e.g. <c>&lt;hypernet:…&gt;</c>) cannot be applied; null when there are none.</summary>
    public static string? UnsupportedKinds(IEnumerable<ExtraNetworkTag> tags)
    {
        var other = tags.Where(t => !IsLora(t)).Distinct().ToList();
        return other.Count == 0 ? null
            : $"the prompt names extra networks ({string.Join(", ", other)}) of a kind this library does not apply; valid: <lora:name:strength>, <lyco:…>";
    }

    /// <summary>The adapter use of a tag, with <paramref name="find"/> giving the adapter of a name (it throws when there is none).</summary>
    /// <exception cref="ArgumentException">A strength that is not a number, or an unknown named argument.</exception>
    public static AdapterUse Use(ExtraNetworkTag tag, Func<string, Adapter> find)
    {
        ArgumentNullException.ThrowIfNull(tag);
        ArgumentNullException.ThrowIfNull(find);
        if (!IsLora(tag)) throw new ArgumentException($"{tag}: only {string.Join(", ", Kinds.Select(k => $"<{k}:…>"))} tags name adapters");
        var positional = new List<string>();
        var named = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var arg in tag.Arguments)
        {
            int eq = arg.IndexOf('=');
            if (eq > 0) named[arg[..eq].Trim()] = arg[(eq + 1)..];
            else positional.Add(arg);
        }
        var unknown = named.Keys.Where(k => k is not ("te" or "unet")).ToList();
        if (unknown.Count > 0) throw new ArgumentException($"{tag}: unknown argument {string.Join(", ", unknown)}; valid: te=, unet= (dyn= is not supported)");
        if (positional.Count == 0 || string.IsNullOrWhiteSpace(positional[0])) throw new ArgumentException($"{tag}: the tag names no LoRA");
        if (positional.Count > 3) throw new ArgumentException($"{tag}: at most <{tag.Kind}:name:te:unet>");
        double te = positional.Count > 1 ? Number(positional[1], tag) : 1.0;
        if (named.TryGetValue("te", out var t)) te = Number(t, tag);
        double unet = positional.Count > 2 ? Number(positional[2], tag) : te;
        if (named.TryGetValue("unet", out var u)) unet = Number(u, tag);
        return new AdapterUse(find(positional[0].Trim()), unet, te).Validate();
    }

    static double Number(string text, ExtraNetworkTag tag) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v)
            ? v
            : throw new ArgumentException($"{tag}: strength '{text}' is not a number");
}
