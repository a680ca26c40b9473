using Pipeline.Checkpoints;
using static TorchSharp.torch;

namespace Pipeline.Adapters;

/// <summary>
/// Reads an adapter file's header against a model's <see cref="AdapterTargetIndex"/>: groups the tensors by module,
/// recognises each module's format, validates every shape (and reads the alphas), and reports every key. Throws
/// <see cref="ArgumentException"/> naming the key for malformed adapters, and when nothing in the file applies.
/// </summary>
static class AdapterReader
{
    public static (IReadOnlyList<AdapterModule> Modules, AdapterReport Report) Read(SafeTensorsFile file, AdapterTargetIndex index)
    {
        var source = file.Path;
        if (file.Entries.Count == 0) throw new ArgumentException($"{source}: the file holds no tensors");
        var peft = PeftAlphas.Read(file.Metadata, source);
        var keys = file.Entries.Keys.OrderBy(k => k, StringComparer.Ordinal).ToList();
        var names = keys.Select(AdapterKeyName.Parse).ToList();
        var reports = new Dictionary<string, AdapterKeyReport>(StringComparer.Ordinal);
        foreach (var n in names.Where(n => n.Module is null || n.Role is null))
            reports[n.Key] = new(n.Key, AdapterKeyStatus.Unknown, null, n.Problem);

        var modules = new List<AdapterModule>();
        foreach (var group in names.Where(n => n.Module is not null && n.Role is not null).GroupBy(n => (n.Component!.Value, n.Module!)))
        {
            try { ReadModule(file, index, peft, group.ToList(), reports, modules); }
            catch (ArgumentException e) { throw new ArgumentException($"{source}: {e.Message}", e); }
        }

        var report = new AdapterReport(keys.Select(k => reports[k]).ToList());
        if (modules.Count == 0)
        {
            var problems = report.Warnings();
            throw new ArgumentException(report.Unsupported.Count > 0
                ? $"{source}: nothing in this adapter can be applied to '{index.ConfigName}': {string.Join("; ", problems)}"
                : $"{source}: none of its {keys.Count} tensors names a module of '{index.ConfigName}' (is it an adapter for another model, e.g. SD 1.x?): {string.Join("; ", problems)}");
        }
        return (modules, report);
    }

    static void ReadModule(SafeTensorsFile file, AdapterTargetIndex index, PeftAlphas peft, List<AdapterKeyName> keys,
        Dictionary<string, AdapterKeyReport> reports, List<AdapterModule> modules)
    {
        var first = keys[0];
        var component = first.Component!.Value;
        var name = first.ModuleName;

        void All(AdapterKeyStatus status, Func<AdapterKeyName, string> reason)
        {
            foreach (var k in keys) reports[k.Key] = new(k.Key, status, null, reason(k));
        }

        if (!index.Components.Contains(component))
        {
            All(AdapterKeyStatus.Unknown, _ => $"the model '{index.ConfigName}' has no {Describe(component)}");
            return;
        }
        if (index.Find(component, first.Module!) is not { } targets)
        {
            All(AdapterKeyStatus.Unknown, _ => $"'{index.ConfigName}' has no {Describe(component)} module named like '{name}'");
            return;
        }
        if (keys.FirstOrDefault(k => k.Role == KeyRole.Dora) is { } dora)
        {
            All(AdapterKeyStatus.Unsupported, _ => $"DoRA ('{dora.Key}') is not supported: its weight-normalised magnitude cannot be merged as a plain delta, so module '{name}' is left unchanged");
            return;
        }
        if (keys.FirstOrDefault(k => k.Role == KeyRole.Unsupported) is { } other)
        {
            All(AdapterKeyStatus.Unsupported, k => k.Role == KeyRole.Unsupported ? k.Problem! : $"module '{name}' also holds '{other.Key}' ({other.Problem}); it is left unchanged");
            return;
        }

        var families = keys.Select(k => k.Role!.Value.Family()).Where(f => f is not null).Distinct().ToList();
        if (families.Count > 1)
            throw new ArgumentException($"module '{name}' mixes {string.Join(" and ", families)} tensors ({string.Join(", ", keys.Select(k => $"'{k.Key}'"))})");
        if (keys.GroupBy(k => k.Role).FirstOrDefault(g => g.Count() > 1) is { } twice)
            throw new ArgumentException($"{string.Join(" and ", twice.Select(k => $"'{k.Key}'"))} are both the {twice.Key} tensor of module '{name}'");
        var alphaKey = keys.FirstOrDefault(k => k.Role == KeyRole.Alpha);
        if (families.Count == 0)
            throw new ArgumentException($"'{alphaKey!.Key}': module '{name}' has an alpha but no factors (lora_down/lora_up, hada_*, lokr_*, diff)");

        var factors = new Dictionary<KeyRole, AdapterFactor>();
        foreach (var k in keys.Where(k => k.Role != KeyRole.Alpha))
            factors[k.Role!.Value] = Factor(file, k.Key);
        AdapterFactor? F(KeyRole role) => factors.TryGetValue(role, out var f) ? f : null;

        double? alpha = null;
        bool rsLora = false;
        if (alphaKey is not null) alpha = ReadAlpha(file, alphaKey.Key);
        else if (first.Diffusers) (alpha, rsLora) = peft.For(component, first.DottedModule!);

        var weight = targets.Weight;
        var shape = weight.DeltaShape;
        switch (families[0]!.Value)
        {
            case AdapterFamily.LoRA:
                modules.Add(new(name, weight, LoraDelta.Create(name, F(KeyRole.LoraDown), F(KeyRole.LoraUp), F(KeyRole.LoraMid), alpha, shape, rsLora)));
                break;
            case AdapterFamily.LoHa:
                modules.Add(new(name, weight, LohaDelta.Create(name, F(KeyRole.HadaW1A), F(KeyRole.HadaW1B), F(KeyRole.HadaW2A), F(KeyRole.HadaW2B),
                    F(KeyRole.HadaT1), F(KeyRole.HadaT2), alpha, shape)));
                break;
            case AdapterFamily.LoKr:
                modules.Add(new(name, weight, LokrDelta.Create(name, F(KeyRole.LokrW1), F(KeyRole.LokrW1A), F(KeyRole.LokrW1B), F(KeyRole.LokrW2),
                    F(KeyRole.LokrW2A), F(KeyRole.LokrW2B), F(KeyRole.LokrT2), alpha, shape)));
                break;
            case AdapterFamily.Full:
                if (F(KeyRole.Diff) is { } diff) modules.Add(new(name, weight, FullDelta.Create(name, diff, shape)));
                if (F(KeyRole.DiffBias) is { } diffBias)
                {
                    var bias = targets.Bias ?? throw new ArgumentException($"{diffBias}: module '{name}' ({weight.Parameter}) has no bias");
                    modules.Add(new(name, bias, FullDelta.Create(name, diffBias, bias.DeltaShape)));
                }
                break;
        }

        foreach (var k in keys)
        {
            reports[k.Key] = k.Role switch
            {
                KeyRole.Alpha when families[0] == AdapterFamily.Full => new(k.Key, AdapterKeyStatus.Unsupported, null, "a full difference has no scale; its alpha is ignored"),
                KeyRole.DiffBias => new(k.Key, AdapterKeyStatus.Applied, targets.Bias, null),
                _ => new(k.Key, AdapterKeyStatus.Applied, weight, null),
            };
        }
    }

    static string Describe(AdapterComponent component) => component switch
    {
        AdapterComponent.Unet => "UNet",
        AdapterComponent.TextEncoder1 => "text encoder 1 (CLIP-L, te1)",
        _ => "text encoder 2 (OpenCLIP bigG, te2)",
    };

    /// <summary>A factor's header record; throws naming the key when it cannot be a factor.</summary>
    static AdapterFactor Factor(SafeTensorsFile file, string key)
    {
        var entry = file.Entries[key];
        if (!is_floating_point(entry.Type))
            throw new ArgumentException($"'{key}' is stored as {entry.DType}; adapter factors must be floating point (F16, BF16, F32, F64)");
        if (entry.Shape.Length == 0 || entry.Shape.Any(d => d == 0))
            throw new ArgumentException($"'{key}' has shape {DeltaShapes.Show(entry.Shape)}; an adapter factor must be a non-empty tensor of at least one dimension");
        return new AdapterFactor(key, entry.Shape, entry.Type);
    }

    /// <summary>An alpha: one finite number, of any numeric dtype (diffusers' kohya export writes int64).</summary>
    static double ReadAlpha(SafeTensorsFile file, string key)
    {
        var entry = file.Entries[key];
        if (entry.ElementCount != 1)
            throw new ArgumentException($"'{key}' has shape {DeltaShapes.Show(entry.Shape)}; an alpha is a single number");
        using var scope = NewDisposeScope();
        double value = file.Read(key).to(ScalarType.Float64).item<double>();
        if (!double.IsFinite(value)) throw new ArgumentException($"'{key}' is {value}; an alpha must be a finite number");
        return value;
    }
}
