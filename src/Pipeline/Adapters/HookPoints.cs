using Pipeline.Models.Bundles;
using Pipeline.Models.TextEncoders;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Adapters;

/// <summary>
/// A module whose output a low-rank update of one weight can be added to by a forward hook: the Linear that owns the
/// weight, or — for open_clip's fused q/k/v <c>in_proj_weight</c> — the attention's
/// <see cref="OpenClipAttention.InProjection"/>, of whose output only <see cref="Rows"/> (the last dimension) change.
/// </summary>
/// <param name="Module">The module to hook.</param>
/// <param name="Rows">The slice of the module's output features the update covers; null: all.</param>
/// <param name="OutFeatures">Rows of the updated weight (the slice's length when there is one).</param>
/// <param name="InFeatures">Columns of the updated weight.</param>
/// <param name="Weight">The updated weight (its dtype and device are the hook's).</param>
public sealed record HookPoint(nn.Module<Tensor, Tensor> Module, RowSlice? Rows, long OutFeatures, long InFeatures, Tensor Weight)
{
    public ScalarType Dtype => Weight.dtype;
    public Device Device => Weight.device;

    /// <summary><paramref name="output"/> + <paramref name="delta"/>, the delta placed at <see cref="Rows"/> when there are some.</summary>
    public Tensor Add(Tensor output, Tensor delta)
    {
        if (Rows is not { } rows) return output + delta;
        using var scope = NewDisposeScope();
        long total = output.shape[^1];
        return (output + nn.functional.pad(delta, new[] { rows.Start, total - rows.End })).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Where forward hooks can apply weight updates in an <see cref="SdxlModel"/>: every Linear of the UNet and of the text
/// encoders, and the row slices of open_clip's fused q/k/v projection, keyed by the checkpoint-layout name of the weight
/// (<c>model.diffusion_model.….to_q.weight</c>, <c>conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight</c>).
/// The UNet and both text encoders run these modules through <c>Module.call</c>, which runs hooks.
/// </summary>
public sealed class HookPoints
{
    readonly Dictionary<string, (nn.Module<Tensor, Tensor> Module, long Out, long In, Tensor Weight)> _points;

    HookPoints(Dictionary<string, (nn.Module<Tensor, Tensor>, long, long, Tensor)> points) => _points = points;

    /// <summary>The hook points of <paramref name="model"/>.</summary>
    public static HookPoints Of(SdxlModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var points = new Dictionary<string, (nn.Module<Tensor, Tensor>, long, long, Tensor)>(StringComparer.Ordinal);
        void Add(string prefix, nn.Module root)
        {
            foreach (var (name, module) in root.named_modules())
            {
                if (module is Linear linear)
                    points[prefix + name + ".weight"] = (linear, linear.weight!.shape[0], linear.weight.shape[1], linear.weight);
                else if (module is OpenClipAttention attention)
                    points[prefix + name + ".in_proj_weight"] = (attention.InProjection, attention.in_proj_weight.shape[0], attention.in_proj_weight.shape[1], attention.in_proj_weight);
            }
        }
        Add(CheckpointLayout.UNetPrefix, model.Network);
        Add(CheckpointLayout.ConditionerPrefix, model.Conditioner);
        return new HookPoints(points);
    }

    /// <summary>The hook point of <paramref name="target"/>, or null when no hook can apply it (convs, norms, embeddings,
    /// a transposed target such as open_clip's <c>text_projection</c>, an unknown weight).</summary>
    public HookPoint? Find(AdapterTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        if (target.Transposed || !_points.TryGetValue(target.Parameter, out var p)) return null;
        if (target.Rows is { } rows)
            return rows.Start >= 0 && rows.End <= p.Out ? new HookPoint(p.Module, rows, rows.Length, p.In, p.Weight) : null;
        return p.Module is Linear ? new HookPoint(p.Module, null, p.Out, p.In, p.Weight) : null;
    }
}
