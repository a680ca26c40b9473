using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Models.TextEncoders;

/// <summary>transformers <c>CLIPEncoder</c>: the stack of <see cref="ClipEncoderLayer"/>s (<c>layers.N</c>).</summary>
public sealed class ClipEncoder : nn.Module<Tensor, Tensor>
{
    private readonly ModuleList<ClipEncoderLayer> layers;

    public ClipEncoder(ClipTextConfig config, Device? device = null, ScalarType? dtype = null) : base(nameof(ClipEncoder))
    {
        layers = new ModuleList<ClipEncoderLayer>(
            Enumerable.Range(0, config.Layers).Select(_ => new ClipEncoderLayer(config, device, dtype)).ToArray());
        RegisterComponents();
    }

    public int LayerCount => layers.Count;

    /// <summary>Runs every layer.</summary>
    public override Tensor forward(Tensor x) => Run(x, layers.Count);

    /// <summary>Runs the first <paramref name="count"/> layers (transformers' <c>hidden_states[count]</c>).</summary>
    public Tensor Run(Tensor x, int count)
    {
        CheckCount(count);
        using var scope = NewDisposeScope();
        var h = x.alias();
        for (int i = 0; i < count; i++) h = layers[i].forward(h);
        return h.MoveToOuterDisposeScope();
    }

    /// <summary>The output of each of the first <paramref name="count"/> layers (transformers' <c>hidden_states[1..count]</c>).</summary>
    public IReadOnlyList<Tensor> RunCollecting(Tensor x, int count)
    {
        CheckCount(count);
        var outputs = new List<Tensor>(count);
        using var scope = NewDisposeScope();
        var h = x;
        for (int i = 0; i < count; i++)
        {
            h = layers[i].forward(h);
            outputs.Add(h);
        }
        foreach (var o in outputs) o.MoveToOuterDisposeScope();
        return outputs;
    }

    void CheckCount(int count)
    {
        if (count < 0 || count > layers.Count)
            throw new ArgumentOutOfRangeException(nameof(count), $"layer count must be in 0..{layers.Count}, got {count}");
    }
}
