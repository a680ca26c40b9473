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

    /// <summary>Forward hooks on the UNet's Linear layers (<see cref="AdapterHooks"/>): weights untouched, LoRA on the UNet only.</summary>
    OnTheFly,
}

/// <summary>
/// Adapters applied on the fly instead of merged: each LoRA module on a UNet Linear layer becomes a forward hook that adds
/// strength · scale · up(down(x)) to the layer's output (the UNet calls its layers through <c>Module.call</c>, which runs
/// hooks), so the weights are never touched and switching adapters or strengths costs nothing but the hooks. Disposing
/// removes them. Supported: LoRA (kohya, diffusers, PEFT) on the UNet's Linear layers — which is what SDXL LoRAs train by
/// default; anything else (text-encoder modules, convs, LoHa/LoKr/full, Tucker cores) is refused listing the modules,
/// use <see cref="AdapterMerge"/> for those.
/// </summary>
public sealed class AdapterHooks : IDisposable
{
    readonly List<Action> _removers;
    readonly List<Tensor> _factors;

    AdapterHooks(List<Action> removers, List<Tensor> factors) => (_removers, _factors) = (removers, factors);

    /// <summary>Hooks added (one per adapter module).</summary>
    public int Count => _removers.Count;

    /// <summary>Attaches <paramref name="uses"/> to <paramref name="model"/>'s UNet; throws <see cref="ArgumentException"/> listing modules that cannot run on the fly.</summary>
    public static AdapterHooks Attach(SdxlModel model, IReadOnlyList<AdapterUse> uses)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(uses);
        foreach (var use in uses) (use ?? throw new ArgumentException("uses contains null")).Validate();
        const string prefix = CheckpointLayout.UNetPrefix;
        var linears = model.Network.named_modules().Where(m => m.module is Linear).ToDictionary(m => prefix + m.name + ".weight", m => (Linear)m.module);
        var refused = uses.SelectMany(u => u.Adapter.Modules
                .Where(m => !(m.Target.Component == AdapterComponent.Unet && m.Delta is LoraDelta { Mid: null } d && d.Down.Rank == 2
                              && m.Target.Rows is null && !m.Target.Transposed && linears.ContainsKey(m.Target.Parameter)))
                .Select(m => $"{u.Adapter.Name}: {m.Name} ({m.Target.Component}, {m.Delta.GetType().Name})"))
            .ToList();
        if (refused.Count > 0)
            throw new ArgumentException($"{refused.Count} adapter modules cannot run on the fly (only LoRA on UNet Linear layers can); merge instead. " +
                string.Join("; ", refused.Take(5)) + (refused.Count > 5 ? "; …" : ""));
        var removers = new List<Action>();
        var factors = new List<Tensor>();
        try
        {
            using var noGrad = no_grad();
            foreach (var use in uses.Where(u => u.UnetStrength != 0))
            {
                using var file = SafeTensorsFile.Open(use.Adapter.SourcePath);
                foreach (var module in use.Adapter.Modules)
                {
                    var delta = (LoraDelta)module.Delta;
                    var linear = linears[module.Target.Parameter];
                    var weight = linear.weight!;
                    // down carries the whole factor strength · scale, so the hook is two small matmuls in the weight's dtype.
                    using var scope = NewDisposeScope();
                    var down = (file.Read(delta.Down.Key, ScalarType.Float32) * (use.UnetStrength * delta.Scale)).to(weight.dtype, weight.device).DetachFromDisposeScope();
                    var up = file.Read(delta.Up.Key, weight.dtype, weight.device).DetachFromDisposeScope();
                    factors.Add(down);
                    factors.Add(up);
                    var handle = linear.register_forward_hook((_, input, output) =>
                    {
                        using var scope = NewDisposeScope();
                        return (output + nn.functional.linear(nn.functional.linear(input, down), up)).MoveToOuterDisposeScope();
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
