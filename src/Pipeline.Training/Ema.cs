using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training;

/// <summary>
/// Exponential moving average of parameters (sgm's <c>LitEma</c>): shadow ← shadow − (1 − d)·(shadow − p), with
/// d = min(decay, (1 + n)/(10 + n)) after n updates when <see cref="Warmup"/> is on. The shadow weights are swapped
/// into the parameters for sampling and saving (<see cref="Apply"/>) and swapped back afterwards, bit for bit.
/// </summary>
public sealed class Ema : IDisposable
{
    readonly List<(string Name, Parameter Parameter, Tensor Shadow)> _entries = new();

    public double Decay { get; }
    public bool Warmup { get; }

    /// <summary>Number of updates taken.</summary>
    public long Updates { get; private set; }

    public Ema(IEnumerable<(string Name, Parameter Parameter)> parameters, double decay = 0.999, bool warmup = true)
    {
        if (!(decay >= 0 && decay <= 1)) throw new ArgumentOutOfRangeException(nameof(decay), $"EMA decay {decay} must be in [0, 1]");
        Decay = decay;
        Warmup = warmup;
        using var noGrad = no_grad();
        foreach (var (name, p) in parameters) _entries.Add((name, p, p.detach().clone().DetachFromDisposeScope()));
    }

    /// <summary>The decay the next update uses.</summary>
    public double CurrentDecay => Warmup ? Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates)) : Decay;

    public void Update()
    {
        using var oneMinus = (1.0 - CurrentDecay).ToScalar();   // explicit and alive until the loop ends (see AdamW.Update)
        Updates++;
        using var noGrad = no_grad();
        foreach (var (_, p, shadow) in _entries)
        {
            using var scope = NewDisposeScope();
            shadow.sub_((shadow - p).mul_(oneMinus));
        }
    }

    /// <summary>Swaps the shadow weights into the parameters until the returned handle is disposed (which swaps back).</summary>
    public IDisposable Apply()
    {
        Swap();
        return new SwapBack(this);
    }

    /// <summary>Copies the shadow weights into the parameters (for good, e.g. at the end of training).</summary>
    public void CopyTo()
    {
        using var noGrad = no_grad();
        foreach (var (_, p, shadow) in _entries) p.copy_(shadow);
    }

    void Swap()
    {
        using var noGrad = no_grad();
        foreach (var (_, p, shadow) in _entries)
        {
            using var tmp = p.detach().clone();
            p.copy_(shadow);
            shadow.copy_(tmp);
        }
    }

    sealed class SwapBack(Ema ema) : IDisposable
    {
        bool _done;
        public void Dispose()
        {
            if (_done) return;
            _done = true;
            ema.Swap();
        }
    }

    /// <summary>The shadow tensors by name (<c>{prefix}{param}</c>); not copies.</summary>
    public IEnumerable<KeyValuePair<string, Tensor>> StateTensors(string prefix) =>
        _entries.Select(e => new KeyValuePair<string, Tensor>(prefix + e.Name, e.Shadow));

    public void LoadState(long updates, Action<string, Tensor> read, string prefix)
    {
        foreach (var kv in StateTensors(prefix)) read(kv.Key, kv.Value);
        Updates = updates;
    }

    public void Dispose()
    {
        foreach (var e in _entries) e.Shadow.Dispose();
        _entries.Clear();
    }
}
