using System.Collections.Immutable;
using System.Globalization;
using Pipeline.Adapters;
using Pipeline.Models.Bundles;
using Pipeline.Tokenize.Prompts;
using Spectre.Console;

namespace Pipeline.Cli.Commands;

/// <summary>
/// The CLI edge of adapters: <c>--lora FILE[:STRENGTH]</c> and A1111's <c>&lt;lora:name:te:unet&gt;</c> prompt tags looked
/// up in <c>--lora-dir</c>, read and mapped against the model's config before the model loads, each reported.
/// </summary>
public static class AdapterOptions
{
    /// <summary>"file.safetensors:0.8" → (file, 0.8); no number after the last ':' → strength 1.</summary>
    public static (string Path, double Strength) ParseLora(string value, string option = "--lora")
    {
        ArgumentException.ThrowIfNullOrEmpty(value);
        int colon = value.LastIndexOf(':');
        if (colon > 0 && double.TryParse(value[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var s))
        {
            if (!double.IsFinite(s)) throw new ArgumentException($"{option} {value}: strength {s} is not finite");
            return (value[..colon], s);
        }
        return (value, 1.0);
    }

    /// <summary>Every adapter of the options and the prompt tags, read against <paramref name="config"/> (no model is loaded).</summary>
    public static ImmutableArray<AdapterUse> Resolve(IReadOnlyList<string>? loras, string? loraDir, IEnumerable<ExtraNetworkTag> tags, SdxlModelConfig config,
        string option = "--lora")
    {
        var tagList = tags.Where(LoraTags.IsLora).Distinct().ToList();
        if ((loras is null || loras.Count == 0) && tagList.Count == 0) return ImmutableArray<AdapterUse>.Empty;
        var index = AdapterTargetIndex.For(config);
        var uses = new List<AdapterUse>();
        foreach (var value in loras ?? Array.Empty<string>())
        {
            var (path, strength) = ParseLora(value, option);
            if (!File.Exists(path)) throw new CliException($"{option}: no such file: {path}");
            uses.Add(AdapterUse.Of(Adapter.Load(path, index), strength));
        }
        if (tagList.Count > 0)
        {
            if (loraDir is null)
                throw new CliException($"the prompt names {string.Join(", ", tagList)}; give --lora-dir DIR, the folder its files are in");
            var folder = AdapterFolder.Of(loraDir);
            uses.AddRange(tagList.Select(tag => LoraTags.Use(tag, name => Adapter.Load(folder.PathOf(name), index))));
        }
        var twice = uses.GroupBy(u => u.Adapter.Name).FirstOrDefault(g => g.Count() > 1);
        if (twice is not null) throw new CliException($"LoRA '{twice.Key}' is given twice (--lora and/or prompt tags); give it once with the strength you want");
        foreach (var use in uses)
        {
            AnsiConsole.MarkupLine($"{(option == "--lora" ? "lora" : "refiner lora")} [green]{Markup.Escape(use.Adapter.Name)}[/] [[{use.Adapter.Hashes.Short}]] unet {use.UnetStrength.ToString(CultureInfo.InvariantCulture)}, text encoders {use.TextEncoderStrength.ToString(CultureInfo.InvariantCulture)}: {Markup.Escape(use.Adapter.Report.Summary())}");
            foreach (var warning in use.Adapter.Report.Warnings())
                AnsiConsole.MarkupLine($"[yellow]warning:[/] {Markup.Escape(use.Adapter.Name)}: {Markup.Escape(warning)}");
        }
        return uses.ToImmutableArray();
    }
}
