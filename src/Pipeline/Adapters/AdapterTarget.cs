namespace Pipeline.Adapters;

/// <summary>
/// Where one adapter delta lands: a parameter of the model under its checkpoint-layout name (e.g.
/// <c>model.diffusion_model.input_blocks.4.1.transformer_blocks.0.attn1.to_q.weight</c>), optionally only some of its
/// rows (OpenCLIP's fused q/k/v <c>in_proj_weight</c>), optionally transposed (OpenCLIP's <c>text_projection</c> is
/// applied as x @ P, while the adapter trained a Linear weight Pᵀ).
/// </summary>
/// <param name="Component">Which strength scales it.</param>
/// <param name="Parameter">The parameter's full name in the single-file layout.</param>
/// <param name="ParameterShape">The whole parameter's shape.</param>
/// <param name="Rows">Rows of the parameter the delta covers; null: all.</param>
/// <param name="Transposed">The delta is the transpose of the (2-D) parameter.</param>
public sealed record AdapterTarget(AdapterComponent Component, string Parameter, IReadOnlyList<long> ParameterShape,
    RowSlice? Rows = null, bool Transposed = false)
{
    /// <summary>The shape an adapter's delta must have: the parameter's, its row slice's, or its transpose's.</summary>
    public long[] DeltaShape
    {
        get
        {
            var shape = ParameterShape.ToArray();
            if (Rows is { } rows) shape[0] = rows.Length;
            if (Transposed) Array.Reverse(shape);
            return shape;
        }
    }

    /// <summary>e.g. <c>conditioner.embedders.1.model.transformer.resblocks.0.attn.in_proj_weight[0:1280]</c>.</summary>
    public override string ToString() => Parameter + (Rows?.ToString() ?? "") + (Transposed ? " (transposed)" : "");

    public bool Equals(AdapterTarget? other) =>
        other is not null && Component == other.Component && Parameter == other.Parameter &&
        ParameterShape.SequenceEqual(other.ParameterShape) && Rows == other.Rows && Transposed == other.Transposed;

    public override int GetHashCode() => HashCode.Combine(Component, Parameter, Rows, Transposed);
}

/// <summary>The weight of one module (Linear, Conv2d, norm, embedding) and its bias, if it has one.</summary>
public sealed record ModuleTargets(AdapterTarget Weight, AdapterTarget? Bias);
