using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.Vae;

/// <summary>
/// Where the decoder's GroupNorms take their statistics from in a tiled decode. GroupNorm statistics are
/// image-global, so tiles that normalise with their own statistics drift apart (colour and contrast shifts).
/// A recording pass gathers, for every GroupNorm, mean and variance per [batch, group] over the tiles' cores
/// (which partition the image), i.e. the statistics of the whole assembled image; later passes normalise every
/// tile with those shared statistics. Each recording pass that starts from the previous pass's statistics makes
/// one more GroupNorm layer exact, so the statistics converge to the untiled ones.
/// Not thread-safe; dispose it to release the recorded sums.
/// </summary>
public sealed class GroupNormStatistics : IDisposable
{
    readonly IReadOnlyDictionary<GroupNorm, (Tensor Mean, Tensor Var)>? _shared;
    readonly Dictionary<GroupNorm, (Tensor Sum, Tensor SumOfSquares, long Count)>? _recorded;
    TileCore _core;

    GroupNormStatistics(IReadOnlyDictionary<GroupNorm, (Tensor Mean, Tensor Var)>? shared, bool record)
    {
        _shared = shared;
        _recorded = record ? new(ReferenceEqualityComparer.Instance) : null;
    }

    /// <summary>Records core statistics while normalising with <paramref name="shared"/> (or per tile when null).</summary>
    public static GroupNormStatistics Recording(IReadOnlyDictionary<GroupNorm, (Tensor Mean, Tensor Var)>? shared = null) => new(shared, record: true);

    /// <summary>Normalises every tile with <paramref name="shared"/> (the caller keeps ownership of its tensors).</summary>
    public static GroupNormStatistics Shared(IReadOnlyDictionary<GroupNorm, (Tensor Mean, Tensor Var)> shared) =>
        new(shared ?? throw new ArgumentNullException(nameof(shared)), record: false);

    /// <summary>The tile about to run (recording needs its core; activations at k× the tile's size scale it by k).</summary>
    public void SetTile(TileCore core) => _core = core;

    /// <summary><paramref name="norm"/> applied to <paramref name="x"/> under this policy.</summary>
    public Tensor Apply(GroupNorm norm, Tensor x)
    {
        using var scope = NewDisposeScope();
        if (_recorded is not null) Record(norm, x);
        var result = _shared is not null && _shared.TryGetValue(norm, out var stats)
            ? Normalise(norm, x, stats.Mean, stats.Var)
            : norm.call(x);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Mean and (biased) variance per [batch, group] of everything recorded, float32, owned by the caller.</summary>
    public Dictionary<GroupNorm, (Tensor Mean, Tensor Var)> Result()
    {
        if (_recorded is null) throw new InvalidOperationException("these statistics are shared, not recorded");
        var result = new Dictionary<GroupNorm, (Tensor Mean, Tensor Var)>(ReferenceEqualityComparer.Instance);
        foreach (var (norm, (sum, squares, count)) in _recorded)
        {
            using var scope = NewDisposeScope();
            var mean = sum / count;
            var variance = (squares / count - mean.square()).clamp_min(0);
            result[norm] = (mean.to(ScalarType.Float32).MoveToOuterDisposeScope(), variance.to(ScalarType.Float32).MoveToOuterDisposeScope());
        }
        return result;
    }

    void Record(GroupNorm norm, Tensor x)
    {
        var c = _core;
        long h = x.shape[2], w = x.shape[3];
        if (c.Height == 0 || h % c.Height != 0 || w % c.Width != 0 || h / c.Height != w / c.Width)
            throw new InvalidOperationException($"activation [{h}, {w}] is not a whole multiple of the tile [{c.Height}, {c.Width}]; call SetTile first");
        long s = h / c.Height;
        var core = x[.., .., TensorIndex.Slice(c.Top * s, c.Bottom * s), TensorIndex.Slice(c.Left * s, c.Right * s)];
        var grouped = core.to(ScalarType.Float64).reshape(x.shape[0], norm.num_groups, -1);
        var sum = grouped.sum(-1);
        var squares = grouped.square().sum(-1);
        long count = grouped.shape[2];
        if (_recorded!.TryGetValue(norm, out var acc))
        {
            using var one = 1.0.ToScalar();   // add_(t) alone makes its alpha a temporary Scalar the finaliser may free mid-call
            acc.Sum.add_(sum, one);
            acc.SumOfSquares.add_(squares, one);
            _recorded[norm] = (acc.Sum, acc.SumOfSquares, acc.Count + count);
        }
        else _recorded[norm] = (sum.DetachFromDisposeScope(), squares.DetachFromDisposeScope(), count);
    }

    static Tensor Normalise(GroupNorm norm, Tensor x, Tensor mean, Tensor variance)
    {
        var grouped = x.reshape(x.shape[0], norm.num_groups, -1);
        var normed = (grouped - mean.to(x.dtype).unsqueeze(-1)) * (variance.to(x.dtype).unsqueeze(-1) + norm.eps).rsqrt();
        var perChannel = new long[] { 1, x.shape[1], 1, 1 };
        return normed.reshape(x.shape) * norm.weight.reshape(perChannel) + norm.bias!.reshape(perChannel);
    }

    public void Dispose()
    {
        if (_recorded is null) return;
        foreach (var (sum, squares, _) in _recorded.Values)
        {
            sum.Dispose();
            squares.Dispose();
        }
        _recorded.Clear();
    }
}
