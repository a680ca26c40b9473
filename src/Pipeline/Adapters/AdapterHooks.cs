using Pipeline.Checkpoints;
using Pipeline.Models.Bundles;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Adapters;

/// <summary>How a plan applies its adapters.</summary>
public enum AdapterApplication
{
    /// <summary>Merged into the weights for the run, restored after (<see cref="AdapterMerge"/>): no cost per step.</summary>
    Merged,

    /// <summary>Forward hooks on the Linear layers of the UNet and the text encoders (<see cref="AdapterHooks"/>): weights untouched, LoRA only.</summary>
    OnTheFly,
}

/// <summary>
/// Adapters applied on the fly instead of merged: each LoRA module on a Linear layer becomes a forward hook (at its
/// <see cref="HookPoints">hook point</see>) that adds strength · scale · up(down(x)) to the layer's output — for open_clip's
/// fused q/k/v, to that slice of the fused projection's output — so the weights are never touched and switching adapters
/// or strengths costs nothing but the hooks. The UNet's strength scales UNet modules, the text-encoder strength the text
/// encoders' ones. Disposing removes them. Supported: LoRA (kohya, diffusers, PEFT) on Linear layers of the UNet and both
/// text encoders — what SDXL LoRAs train by default; anything else (convs, open_clip's <c>text_projection</c>,
/// LoHa/LoKr/full, Tucker cores) is refused listing the modules, use <see cref="AdapterMerge"/> for those.
/// </summary>
public sealed class AdapterHooks : IDisposable
{
    readonly List<Action> _removers;
    readonly List<Tensor> _factors;

    AdapterHooks(List<Action> removers, List<Tensor> factors) => (_removers, _factors) = (removers, factors);

    /// <summary>Hooks added (one per adapter module).</summary>
    public int Count => _removers.Count;

    /// <summary>Attaches <paramref name="uses"/> to <paramref name="model"/>; throws <see cref="ArgumentException"/> listing modules that cannot run on the fly.</summary>
    public static AdapterHooks Attach(SdxlModel model, IReadOnlyList<AdapterUse> uses)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(uses);
        foreach (var use in uses) (use ?? throw new ArgumentException("uses contains null")).Validate();
        var points = HookPoints.Of(model);
        var refused = uses.SelectMany(u => u.Adapter.Modules
                .Where(m => !(m.Delta is LoraDelta { Mid: null } d && d.Down.Rank == 2 && points.Find(m.Target) is not null))
                .Select(m => $"{u.Adapter.Name}: {m.Name} ({m.Target.Component}, {m.Delta.GetType().Name})"))
            .ToList();
        if (refused.Count > 0)
            throw new ArgumentException($"{refused.Count} adapter modules cannot run on the fly (only LoRA on Linear layers and on open_clip's q/k/v can); merge instead. " +
                string.Join("; ", refused.Take(5)) + (refused.Count > 5 ? "; …" : ""));
        var removers = new List<Action>();
        var factors = new List<Tensor>();
        try
        {
            using var noGrad = no_grad();
            foreach (var use in uses)
            {
                var modules = use.Adapter.Modules.Where(m => use.StrengthFor(m.Target.Component) != 0).ToList();
                if (modules.Count == 0) continue;
                using var file = SafeTensorsFile.Open(use.Adapter.SourcePath);
                foreach (var module in modules)
                {
                    var delta = (LoraDelta)module.Delta;
                    var point = points.Find(module.Target)!;
                    double strength = use.StrengthFor(module.Target.Component);
                    // down carries the whole factor strength · scale, so the hook is two small matmuls in the weight's dtype.
                    using var scope = NewDisposeScope();
                    var down = (file.Read(delta.Down.Key, ScalarType.Float32) * (strength * delta.Scale)).to(point.Dtype, point.Device).DetachFromDisposeScope();
                    var up = file.Read(delta.Up.Key, point.Dtype, point.Device).DetachFromDisposeScope();
                    factors.Add(down);
                    factors.Add(up);
                    var handle = point.Module.register_forward_hook((_, input, output) =>
                    {
                        using var scope = NewDisposeScope();
                        return point.Add(output, nn.functional.linear(nn.functional.linear(input, down), up)).MoveToOuterDisposeScope();
                    });
                    removers.Add(handle.remove);
                }
            }
        }
        catch
        {
            new AdapterHooks(removers, factors).Dispose();
            throw;
        }
        return new AdapterHooks(removers, factors);
    }

    public void Dispose()
    {
        foreach (var remove in _removers) remove();
        _removers.Clear();
        foreach (var f in _factors) f.Dispose();
        _factors.Clear();
    }
}
