using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Mixed-precision training with float32 master weights: a working copy of a float32 module in a lower-precision dtype
/// (bfloat16, float16) runs the forward and backward passes, while the optimiser, gradient clipping, EMA and the
/// training-state file keep working on the float32 master. Per step: <see cref="PullWeights"/> (master → copy, rounded
/// to the copy's dtype) before the forward, <see cref="PushGradients"/> (the copy's gradients → the master's, as float32)
/// after the backward. PyTorch's autocast does the same per op (the float32 weight is cast to bf16 inside the graph and its
/// gradient flows back as float32); a whole-module copy does the cast once per step instead of once per use.
/// </summary>
public sealed class ComputeCopy : IDisposable
{
    readonly IReadOnlyList<(string Name, Tensor Master, Tensor Copy)> _parameters;
    readonly IReadOnlyList<(string Name, Tensor Master, Tensor Copy)> _buffers;

    /// <param name="master">The float32 module the optimiser updates.</param>
    /// <param name="copy">A module of the same structure (same state names and shapes) in the compute dtype; this instance
    /// owns it. Its parameters require grad exactly where the master's do.</param>
    public ComputeCopy(nn.Module master, nn.Module copy)
    {
        ArgumentNullException.ThrowIfNull(master);
        Module = copy ?? throw new ArgumentNullException(nameof(copy));
        var masters = master.named_parameters().ToDictionary(np => np.name, np => np.parameter);
        var copies = copy.named_parameters().ToList();
        if (copies.Count != masters.Count || copies.Any(c => !masters.ContainsKey(c.name)))
            throw new ArgumentException("the compute copy's parameters differ from the master's");
        _parameters = copies.Select(c => (c.name, (Tensor)masters[c.name], (Tensor)c.parameter)).ToList();
        foreach (var (name, m, c) in _parameters)
        {
            if (!m.shape.SequenceEqual(c.shape)) throw new ArgumentException($"'{name}': master [{string.Join(", ", m.shape)}], copy [{string.Join(", ", c.shape)}]");
            if (m.dtype != ScalarType.Float32) throw new ArgumentException($"'{name}': the master weights must be float32, got {m.dtype}");
            c.requires_grad = m.requires_grad;
        }
        var masterBuffers = master.named_buffers().ToDictionary(nb => nb.name, nb => nb.buffer);
        _buffers = copy.named_buffers().Select(b => masterBuffers.TryGetValue(b.name, out var m)
            ? (b.name, m, b.buffer)
            : throw new ArgumentException($"the compute copy has a buffer '{b.name}' the master lacks")).ToList();
        DType = _parameters.Count > 0 ? _parameters[0].Copy.dtype : ScalarType.Float32;
        PullWeights();
    }

    /// <summary>The working copy (run the forward pass through it).</summary>
    public nn.Module Module { get; }

    /// <summary>The copy's dtype.</summary>
    public ScalarType DType { get; }

    /// <summary>Copies the master's weights and buffers into the copy (rounded to the copy's dtype).</summary>
    public void PullWeights()
    {
        using var noGrad = no_grad();
        foreach (var (_, m, c) in _parameters) c.copy_(m);
        foreach (var (_, m, c) in _buffers) c.copy_(m);
    }

    /// <summary>
    /// Moves the copy's gradients onto the master as float32 (accumulating onto a gradient the master already has) and
    /// drops them from the copy. Parameters without a gradient are left alone.
    /// </summary>
    public void PushGradients()
    {
        using var noGrad = no_grad();
        using var one = 1.0.ToScalar();   // explicit alpha: add_(t) alone makes a temporary Scalar the finaliser may free mid-call
        foreach (var (_, m, c) in _parameters)
        {
            using var g = c.grad;
            if (g is null) continue;
            using var existing = m.grad;
            if (existing is null)
            {
                using var g32 = g.to(ScalarType.Float32);
                m.grad = g32;
            }
            else existing.add_(g, one);
            c.grad = null;
        }
    }

    public void Dispose() => Module.Dispose();
}
