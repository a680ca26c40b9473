using System.Runtime.CompilerServices;
using Pipeline.Checkpoints;
using Pipeline.Models.Bundles;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Adapters;

/// <summary>
/// Adapters merged into a model's weights: W ← W + Σ strength · ΔW for every mapped weight (the deltas of all uses
/// computed and summed in float32, added to the weight in float32 and cast back to its dtype once). Only the rows a delta
/// covers are written (a q-only delta leaves the k and v rows of a fused <c>in_proj_weight</c> untouched). Disposing
/// restores every touched parameter bit for bit from a copy of its original kept meanwhile (touched parameters only,
/// on their own device). One merge per model at a time: pass every adapter to one <see cref="Apply"/>.
/// </summary>
public sealed class AdapterMerge : IDisposable
{
    static readonly ConditionalWeakTable<SdxlModel, AdapterMerge> Active = new();

    readonly SdxlModel _model;
    readonly List<(string Name, Tensor Parameter, Tensor Original)> _touched;
    bool _disposed;

    /// <summary>The uses merged (those with strength 0 for a component contribute nothing there).</summary>
    public IReadOnlyList<AdapterUse> Uses { get; }

    /// <summary>The parameters changed (restored on dispose), by checkpoint-layout name.</summary>
    public IReadOnlyList<string> Touched { get; }

    AdapterMerge(SdxlModel model, IReadOnlyList<AdapterUse> uses, List<(string, Tensor, Tensor)> touched)
    {
        _model = model;
        Uses = uses;
        _touched = touched;
        Touched = touched.Select(t => t.Item1).ToList();
    }

    /// <summary>
    /// Merges <paramref name="uses"/> into <paramref name="model"/> (under no-grad) and returns the handle that undoes it.
    /// A strength of 0 skips that part of the adapter (no change, bit for bit). Throws <see cref="ArgumentException"/> when
    /// a use is invalid, an adapter was mapped for a model with other parameters, its file changed since it was loaded, or
    /// a delta is not finite (the model is then left unchanged); <see cref="InvalidOperationException"/> when another merge
    /// on this model is still active.
    /// </summary>
    public static AdapterMerge Apply(SdxlModel model, IReadOnlyList<AdapterUse> uses)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(uses);
        foreach (var use in uses) (use ?? throw new ArgumentException("uses contains null")).Validate();
        lock (Active)
        {
            if (Active.TryGetValue(model, out _))
                throw new InvalidOperationException($"model '{model.Name}' already has adapters merged; dispose that merge first, or merge all adapters in one Apply");
            var parameters = model.NamedTensors().ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal);
            var plan = Plan(parameters, uses);
            var touched = new List<(string, Tensor, Tensor)>();
            var files = new Dictionary<string, SafeTensorsFile>(StringComparer.Ordinal);
            try
            {
                using var noGrad = no_grad();
                foreach (var (name, contributions) in plan)
                    touched.Add(Merge(name, parameters[name], contributions, files));
            }
            catch
            {
                Restore(touched);
                throw;
            }
            finally
            {
                foreach (var f in files.Values) f.Dispose();
            }
            var merge = new AdapterMerge(model, uses.ToList(), touched);
            Active.Add(model, merge);
            return merge;
        }
    }

    /// <summary>Convenience for one adapter at one strength.</summary>
    public static AdapterMerge Apply(SdxlModel model, Adapter adapter, double strength = 1.0) => Apply(model, [AdapterUse.Of(adapter, strength)]);

    /// <summary>The contributions per parameter, in model order: (module, strength, adapter). Checks every target exists with its shape.</summary>
    static List<(string Name, List<(AdapterModule Module, double Strength, Adapter Adapter)> Contributions)> Plan(
        IReadOnlyDictionary<string, Tensor> parameters, IReadOnlyList<AdapterUse> uses)
    {
        var byParameter = new Dictionary<string, List<(AdapterModule, double, Adapter)>>(StringComparer.Ordinal);
        foreach (var use in uses)
            foreach (var module in use.Adapter.Modules)
            {
                double strength = use.StrengthFor(module.Target.Component);
                if (strength == 0) continue;
                var target = module.Target;
                if (!parameters.TryGetValue(target.Parameter, out var p) || !p.shape.SequenceEqual(target.ParameterShape))
                    throw new ArgumentException($"adapter '{use.Adapter.Name}' was mapped for '{use.Adapter.ConfigName}': module '{module.Name}' targets {target.Parameter} {DeltaShapes.Show(target.ParameterShape)}, which this model {(p is null ? "does not have" : $"has as {DeltaShapes.Show(p.shape)}")}");
                if (p.device_type == DeviceType.META)
                    throw new ArgumentException($"the model's {target.Parameter} is on the meta device (no weights); load the model before merging adapters");
                if (!byParameter.TryGetValue(target.Parameter, out var list)) byParameter[target.Parameter] = list = [];
                list.Add((module, strength, use.Adapter));
            }
        return parameters.Keys.Where(byParameter.ContainsKey).Select(k => (k, byParameter[k])).ToList();
    }

    /// <summary>Merges one parameter; returns it with a copy of its original.</summary>
    static (string, Tensor, Tensor) Merge(string name, Tensor parameter, List<(AdapterModule Module, double Strength, Adapter Adapter)> contributions,
        Dictionary<string, SafeTensorsFile> files)
    {
        using var scope = NewDisposeScope();
        var device = parameter.device;
        var sum = zeros(parameter.shape, ScalarType.Float32, device);
        var rows = new List<RowSlice>();
        foreach (var (module, strength, adapter) in contributions)
        {
            var file = Open(adapter, module, files);
            var target = module.Target;
            var delta = module.Delta.Compute(key => file.Read(key, ScalarType.Float32, device), target.DeltaShape);
            if (!isfinite(delta).all().item<bool>())
                throw new ArgumentException($"adapter '{adapter.Name}': the delta of module '{module.Name}' has NaN or infinite values ({string.Join(", ", module.Delta.Factors.Select(f => $"'{f.Key}'"))})");
            if (target.Transposed) delta = delta.t();
            var region = target.Rows is { } r ? sum.narrow(0, r.Start, r.Length) : sum;
            using var alpha = strength.ToScalar();   // explicit and alive through the call: an implicit one may be finalised mid-call
            region.add_(delta, alpha);
            rows.Add(target.Rows ?? new RowSlice(0, parameter.shape[0]));
        }
        var original = parameter.detach().clone();
        foreach (var r in Union(rows))
        {
            var w = parameter.narrow(0, r.Start, r.Length);
            w.copy_((w.to(ScalarType.Float32) + sum.narrow(0, r.Start, r.Length)).to(parameter.dtype));
        }
        return (name, parameter, original.DetachFromDisposeScope());
    }

    /// <summary>The adapter's file, opened once per merge, with every factor of <paramref name="module"/> checked against what was loaded.</summary>
    static SafeTensorsFile Open(Adapter adapter, AdapterModule module, Dictionary<string, SafeTensorsFile> files)
    {
        if (!files.TryGetValue(adapter.SourcePath, out var file)) files[adapter.SourcePath] = file = SafeTensorsFile.Open(adapter.SourcePath);
        foreach (var f in module.Delta.Factors)
            if (!file.Entries.TryGetValue(f.Key, out var e) || e.Type != f.DType || !e.Shape.SequenceEqual(f.Shape))
                throw new ArgumentException($"{adapter.SourcePath}: '{f.Key}' changed since the adapter was loaded; load it again");
        return file;
    }

    /// <summary>Merges overlapping or adjacent row ranges.</summary>
    static IEnumerable<RowSlice> Union(IEnumerable<RowSlice> rows)
    {
        RowSlice? current = null;
        foreach (var r in rows.OrderBy(r => r.Start))
        {
            if (current is null) current = r;
            else if (r.Start <= current.End) current = current with { Length = Math.Max(current.End, r.End) - current.Start };
            else
            {
                yield return current;
                current = r;
            }
        }
        if (current is not null) yield return current;
    }

    static void Restore(List<(string Name, Tensor Parameter, Tensor Original)> touched)
    {
        using var noGrad = no_grad();
        foreach (var (_, parameter, original) in touched)
        {
            if (!parameter.IsInvalid) parameter.copy_(original);
            original.Dispose();
        }
        touched.Clear();
    }

    /// <summary>Restores every touched parameter bit for bit. Idempotent.</summary>
    public void Dispose()
    {
        lock (Active)
        {
            if (_disposed) return;
            _disposed = true;
            Restore(_touched);
            Active.Remove(_model);
        }
    }
}
