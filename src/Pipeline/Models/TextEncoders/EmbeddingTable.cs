using TorchSharp.Modules;
using TorchSharp.Utils;
using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>
/// A lookup table with the state-dict layout of <c>nn.Embedding</c> (one parameter, <c>weight</c> [count, dim]).
/// TorchSharp's native <c>nn.Embedding</c> always allocates and initialises its table on the CPU before moving it
/// (also through <c>Embedding_from_pretrained</c>), which defeats building on the meta device (measured: +150 MiB
/// for CLIP-L, +250 MiB for bigG); this one allocates only where it is asked to.
/// </summary>
public sealed class EmbeddingTable : nn.Module<Tensor, Tensor>
{
    [ComponentName(Name = nameof(weight))]
    private Parameter _weight;

    /// <summary>An [<paramref name="count"/>, <paramref name="dim"/>] table initialised N(0, std²) (nothing happens on meta).</summary>
    public EmbeddingTable(long count, long dim, double std, Device? device = null, ScalarType? dtype = null) : base(nameof(EmbeddingTable))
    {
        using (no_grad())
            _weight = new Parameter(nn.init.normal_(empty(count, dim, dtype: dtype, device: device), std: std));
        RegisterComponents();
    }

    public Parameter weight
    {
        get => _weight;
        set => _weight = Checkpoints.ParameterSlot.Replace(_weight, value, p => ConditionallyRegisterParameter(nameof(weight), p));
    }

    /// <summary>ids [...] (int64) → [..., dim].</summary>
    public override Tensor forward(Tensor ids)
    {
        using var scope = NewDisposeScope();
        var rows = _weight.index_select(0, ids.reshape(-1));
        return rows.view(ids.shape.Append(_weight.shape[1]).ToArray()).MoveToOuterDisposeScope();
    }
}
