using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Training.Lora;

/// <summary>
/// The trainable low-rank update of one frozen Linear layer [out, in]: <c>lora_down</c> [r, in] (kaiming-uniform with
/// a = √5, i.e. U(−1/√in, 1/√in), as kohya initialises it) and <c>lora_up</c> [out, r] (zeros, so a fresh layer changes
/// nothing); the layer's output becomes <c>W x + b + (alpha / r) · up(down(x))</c>. Float32.
/// </summary>
public sealed class LoraLayer : nn.Module
{
    readonly Parameter lora_down;
    readonly Parameter lora_up;

    public int Rank { get; }
    public double Alpha { get; }
    public long InFeatures { get; }
    public long OutFeatures { get; }

    /// <summary>alpha / rank.</summary>
    public double Scale => Alpha / Rank;

    public Parameter Down => lora_down;
    public Parameter Up => lora_up;

    /// <param name="generator">draws <c>lora_down</c> (one call of <c>rand</c>, so layers drawn in a fixed order are reproducible)</param>
    public LoraLayer(string name, long inFeatures, long outFeatures, int rank, double alpha, Generator generator) : base(name)
    {
        if (rank < 1 || rank > Math.Min(inFeatures, outFeatures))
            throw new ArgumentException($"{name}: rank {rank} must be in [1, {Math.Min(inFeatures, outFeatures)}] (the layer is [{outFeatures}, {inFeatures}])");
        if (!(alpha > 0) || !double.IsFinite(alpha)) throw new ArgumentException($"{name}: alpha {alpha} must be positive");
        Rank = rank;
        Alpha = alpha;
        InFeatures = inFeatures;
        OutFeatures = outFeatures;
        double bound = 1.0 / Math.Sqrt(inFeatures);
        using (var scope = NewDisposeScope())
        {
            var down = (rand(new long[] { rank, inFeatures }, ScalarType.Float32, CPU, generator: generator) * (2 * bound) - bound).detach();
            lora_down = new Parameter(down.MoveToOuterDisposeScope());
        }
        lora_up = new Parameter(zeros(outFeatures, rank, ScalarType.Float32));
        register_parameter("lora_down", lora_down);
        register_parameter("lora_up", lora_up);
    }

    /// <summary>(alpha / r) · up(down(x)) for inputs [..., in] of any float dtype, returned in <paramref name="x"/>'s dtype.</summary>
    public Tensor Delta(Tensor x)
    {
        using var scope = NewDisposeScope();
        var input = x.dtype == ScalarType.Float32 ? x : x.to(ScalarType.Float32);
        var delta = nn.functional.linear(nn.functional.linear(input, lora_down), lora_up) * Scale;
        return (x.dtype == ScalarType.Float32 ? delta : delta.to(x.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>The weight update (alpha / r) · up · down [out, in], float32 (what a merge adds to W).</summary>
    public Tensor DeltaWeight()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return (lora_up.matmul(lora_down) * Scale).MoveToOuterDisposeScope();
    }
}
