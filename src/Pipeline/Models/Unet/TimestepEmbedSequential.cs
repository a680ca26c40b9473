using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Models.Unet;

/// <summary>What every layer of a UNet block may need besides the features: the embedding, the context, and
/// the size an <see cref="Upsample"/> should produce (that of the skip connection it meets next; null: ×2).</summary>
public readonly record struct BlockInputs(Tensor Emb, Tensor? Context, long[]? UpsampleSize = null);

/// <summary>
/// sgm <c>TimestepEmbedSequential</c>: layers numbered 0, 1, … (state-dict keys <c>input_blocks.N.i.…</c>), each
/// given what it takes: ResBlocks the embedding, SpatialTransformers the context, Upsample the target size.
/// </summary>
public sealed class TimestepEmbedSequential : nn.Module<Tensor, BlockInputs, Tensor>
{
    readonly nn.Module[] _layers;

    public TimestepEmbedSequential(params nn.Module[] layers) : base(nameof(TimestepEmbedSequential))
    {
        foreach (var layer in layers)
            if (layer is not (ResBlock or SpatialTransformer or Upsample or nn.Module<Tensor, Tensor>))
                throw new ArgumentException($"TimestepEmbedSequential cannot call a {layer.GetType().Name}");
        _layers = layers;
        for (int i = 0; i < layers.Length; i++) register_module(i.ToString(), layers[i]);
        RegisterComponents();
    }

    public IReadOnlyList<nn.Module> Layers => _layers;

    public override Tensor forward(Tensor x, BlockInputs inputs)
    {
        using var scope = NewDisposeScope();
        var h = x;
        foreach (var layer in _layers)
        {
            h = layer switch
            {
                ResBlock res => res.call(h, inputs.Emb),
                SpatialTransformer transformer => transformer.call(h, inputs.Context),
                Upsample up => up.call(h, inputs.UpsampleSize),
                nn.Module<Tensor, Tensor> plain => Convolutions.Call(plain, h),
                _ => throw new InvalidOperationException($"unexpected layer {layer.GetType().Name}"),
            };
        }
        return h.MoveToOuterDisposeScope();
    }
}
