using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Checkpoints;

/// <summary>What a strict load found wrong, every key listed.</summary>
public sealed record StateDictMismatch(
    IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected, IReadOnlyList<string> Misshaped)
{
    public bool IsEmpty => Missing.Count == 0 && Unexpected.Count == 0 && Misshaped.Count == 0;

    public override string ToString() =>
        string.Join("\n", new[]
        {
            Missing.Count > 0 ? $"missing ({Missing.Count}): {string.Join(", ", Missing)}" : null,
            Unexpected.Count > 0 ? $"unexpected ({Unexpected.Count}): {string.Join(", ", Unexpected)}" : null,
            Misshaped.Count > 0 ? $"mis-shaped ({Misshaped.Count}): {string.Join(", ", Misshaped)}" : null,
        }.Where(s => s is not null));
}

/// <summary>Raised by a strict load; the message lists every missing, unexpected and mis-shaped key.</summary>
public sealed class StateDictMismatchException(string source, StateDictMismatch mismatch)
    : Exception($"{source}: checkpoint does not match the model\n{mismatch}")
{
    public StateDictMismatch Mismatch { get; } = mismatch;
}

/// <summary>
/// Loads a module's parameters and buffers from a safetensors file, one tensor at a time, under keys
/// <c>prefix + name</c>, after a strict comparison that lists every missing, unexpected and mis-shaped key.
/// A tensor on the meta device (a model built with <c>device: meta</c>, which allocates nothing and skips random
/// initialisation) is replaced by the tensor read from the file, in the chosen dtype on the chosen device; a
/// materialised tensor is copied into in place, or replaced when the options ask for another dtype or device.
/// Tensors that change dtype or device are converted through one small staging buffer (see <see cref="StagingBuffers"/>),
/// so peak memory is the model plus a few MiB, never a second copy of the weights.
/// </summary>
public static class StateDictLoader
{
    /// <summary>Keys real checkpoints carry or drop that no forward pass reads (transformers' <c>position_ids</c>).</summary>
    public static readonly IReadOnlyList<string> KnownExtraSuffixes = new[] { "position_ids" };

    static bool IsKnownExtra(string key) => KnownExtraSuffixes.Any(s => key.EndsWith(s, StringComparison.Ordinal));

    /// <summary>Compares module keys/shapes with the file's entries under <paramref name="prefix"/>.</summary>
    public static StateDictMismatch Compare(nn.Module module, SafeTensorsFile file, string prefix,
        Func<string, bool>? ignoreUnexpected = null)
    {
        var expected = module.state_dict();
        var missing = new List<string>();
        var misshaped = new List<string>();
        foreach (var (name, tensor) in expected)
        {
            var key = prefix + name;
            if (!file.Entries.TryGetValue(key, out var entry))
            {
                if (!IsKnownExtra(key)) missing.Add(key);
                continue;
            }
            if (!entry.Shape.SequenceEqual(tensor.shape))
                misshaped.Add($"{key} (checkpoint [{string.Join(", ", entry.Shape)}], model [{string.Join(", ", tensor.shape)}])");
        }
        var unexpected = file.Entries.Keys
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !expected.ContainsKey(k[prefix.Length..]))
            .Where(k => !IsKnownExtra(k))
            .Where(k => ignoreUnexpected is null || !ignoreUnexpected(k))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        return new StateDictMismatch(missing, unexpected, misshaped);
    }

    /// <summary>Strict load into the module's own dtypes and devices (see <see cref="Load(nn.Module, SafeTensorsFile, LoadOptions)"/>).</summary>
    public static void Load(nn.Module module, SafeTensorsFile file, string prefix = "", Func<string, bool>? ignoreUnexpected = null) =>
        Load(module, file, new LoadOptions(prefix, IgnoreUnexpected: ignoreUnexpected));

    /// <summary>
    /// Strict load: throws <see cref="StateDictMismatchException"/> listing every problem before reading anything,
    /// then places each tensor as <paramref name="options"/> say. F32/F16/BF16 storage converts to any compute dtype.
    /// Afterwards no parameter or buffer may remain on the meta device.
    /// </summary>
    public static void Load(nn.Module module, SafeTensorsFile file, LoadOptions options)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(file);
        options = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        var mismatch = Compare(module, file, options.Prefix, options.IgnoreUnexpected);
        if (!mismatch.IsEmpty) throw new StateDictMismatchException(file.Path, mismatch);

        var modules = ModuleState.Modules(module);
        var parameterNames = module.named_parameters().Select(p => p.name).ToHashSet(StringComparer.Ordinal);
        var plan = module.state_dict().Select(kv =>
        {
            var (name, current) = (kv.Key, kv.Value);
            bool onMeta = current.device.type == DeviceType.META;
            var device = options.Device ?? (onMeta ? CPU : current.device);
            var dtype = is_floating_point(current) ? options.DType ?? current.dtype : current.dtype;
            return (Name: name, Current: current, OnMeta: onMeta, Device: device, DType: dtype,
                Entry: file.Entries.GetValueOrDefault(options.Prefix + name));
        }).ToList();
        using var staging = new StagingBuffers(plan.Where(p => p.Entry is not null && NeedsStaging(p.Entry, p.DType, p.Device)).Select(p => p.Entry!));
        using (no_grad())
        {
            foreach (var (name, current, onMeta, device, dtype, entry) in plan)
            {
                using var scope = NewDisposeScope();
                var key = options.Prefix + name;
                var loaded = entry is null ? KnownExtraDefault(key, current.shape, dtype, device)
                    : NeedsStaging(entry, dtype, device) ? staging.Convert(file, entry, dtype, device)
                    : ReadAs(file, key, dtype, device);
                if (!onMeta && current.dtype == dtype && SameDevice(current.device, device))
                {
                    current.copy_(loaded);
                    continue;
                }
                Tensor replacement = parameterNames.Contains(name)
                    ? new TorchSharp.Modules.Parameter(loaded, requires_grad: ((TorchSharp.Modules.Parameter)current).requires_grad)
                    : loaded;
                ModuleState.Replace(modules, name, replacement.DetachFromDisposeScope());
            }
        }
        var left = ModuleState.OnMeta(module);
        if (left.Count > 0)
            throw new InvalidOperationException(
                $"{file.Path}: after loading, {left.Count} tensor(s) are still on the meta device (not in the state dict, so no checkpoint can fill them): {string.Join(", ", left)}");
    }

    /// <summary>Floating tensors that change dtype or leave the CPU go through a staging buffer; the rest are read in place.</summary>
    static bool NeedsStaging(SafeTensorsEntry entry, ScalarType dtype, Device device) =>
        is_floating_point(entry.Type) && is_floating_point(dtype) && (entry.Type != dtype || device.type != DeviceType.CPU);

    static bool SameDevice(Device a, Device b) =>
        a.type == b.type && (a.type == DeviceType.CPU || a.type == DeviceType.META || a.index == b.index);

    /// <summary>Reads <paramref name="key"/>; integer buffers stored as floats (the released SDXL files store position_ids as F16) must hold whole numbers.</summary>
    static Tensor ReadAs(SafeTensorsFile file, string key, ScalarType dtype, Device device)
    {
        var entry = file.Entry(key);
        if (is_floating_point(entry.Type) == is_floating_point(dtype)) return file.Read(key, dtype, device);
        if (is_floating_point(dtype))
            throw new StateDictMismatchException(file.Path, new StateDictMismatch(
                Array.Empty<string>(), Array.Empty<string>(), new[] { $"{key} (checkpoint {entry.DType}, model {dtype}: integer storage for a floating tensor)" }));
        using var scope = NewDisposeScope();
        var stored = file.Read(key).to(ScalarType.Float64);
        if (!stored.eq(stored.round()).all().item<bool>())
            throw new StateDictMismatchException(file.Path, new StateDictMismatch(
                Array.Empty<string>(), Array.Empty<string>(), new[] { $"{key} (checkpoint {entry.DType} holds non-integers, model {dtype})" }));
        return stored.to(dtype, device).MoveToOuterDisposeScope();
    }

    /// <summary>The value of a known extra the file does not carry (position_ids: 0..n-1 along the last dimension).</summary>
    static Tensor KnownExtraDefault(string key, long[] shape, ScalarType dtype, Device device)
    {
        if (key.EndsWith("position_ids", StringComparison.Ordinal) && shape.Length > 0)
            return arange(shape[^1], dtype: dtype, device: device).expand(shape).contiguous();
        throw new InvalidOperationException($"'{key}' is not in the checkpoint and has no default value");
    }
}
