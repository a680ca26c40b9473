using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>
/// The last few tensors a multistep sampler keeps between steps (previous denoised estimates or derivatives).
/// Pushed tensors leave the step's dispose scope through <see cref="SamplerLoop.Keep"/>; the oldest is disposed
/// when the window is full, the rest when the history is disposed.
/// </summary>
public sealed class TensorHistory(int capacity) : IDisposable
{
    readonly List<Tensor> _items = new();

    /// <summary>How many tensors are kept (at most the capacity).</summary>
    public int Count => _items.Count;

    /// <summary>The tensor pushed <paramref name="back"/> pushes ago (1 = the most recent).</summary>
    public Tensor this[int back] => _items[^back];

    /// <summary>Keeps an alias of <paramref name="t"/>; the oldest is disposed once more than the capacity are kept.</summary>
    public void Push(Tensor t)
    {
        if (capacity <= 0) return;
        _items.Add(SamplerLoop.Keep(t.alias()));
        if (_items.Count > capacity)
        {
            _items[0].Dispose();
            _items.RemoveAt(0);
        }
    }

    /// <summary>Disposes every kept tensor.</summary>
    public void Dispose()
    {
        foreach (var t in _items) t.Dispose();
        _items.Clear();
    }
}
