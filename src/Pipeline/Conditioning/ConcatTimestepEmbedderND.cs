using Pipeline.Models;
using static TorchSharp.torch;

namespace Pipeline.Conditioning;

/// <summary>
/// sgm <c>ConcatTimestepEmbedderND(outdim)</c>: embeds every scalar of [B, d] (or [B]) separately with the
/// sinusoidal timestep embedding and concatenates per row, <c>[emb(x0) | emb(x1) | …]</c> → [B, d·outdim].
/// Always float32, whatever the models' compute dtype.
/// </summary>
public sealed class ConcatTimestepEmbedderND : nn.Module<Tensor, Tensor>, IEmbedder
{
    public ConcatTimestepEmbedderNDConfig Config { get; }

    public ConcatTimestepEmbedderND(ConcatTimestepEmbedderNDConfig config) : base(nameof(ConcatTimestepEmbedderND))
    {
        Config = config ?? throw new ArgumentNullException(nameof(config));
        var problems = config.Problems().ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        RegisterComponents();
    }

    public string InputKey => Config.InputKey;
    public double UcgRate => Config.UcgRate;
    public bool IsTrainable => false;
    public IReadOnlyList<ConditioningKind> Outputs { get; } = new[] { ConditioningKind.Vector };
    public IReadOnlyList<long> OutputWidths => new long[] { (long)EmbedderKeys.ScalarKeys[Config.InputKey] * Config.OutDim };

    /// <summary>x [B, d] or [B] → [B, d·outdim] float32.</summary>
    public override Tensor forward(Tensor x)
    {
        if (x.dim() is not (1 or 2)) throw new ArgumentException($"{nameof(ConcatTimestepEmbedderND)}: input must be [B] or [B, d], got [{string.Join(", ", x.shape)}]");
        using var scope = NewDisposeScope();
        var rows = x.dim() == 1 ? x.unsqueeze(1) : x;
        long b = rows.shape[0], d = rows.shape[1];
        var embedded = TimestepEmbedding.Sinusoidal(rows.to(ScalarType.Float32).reshape(-1), Config.OutDim);
        return embedded.view(b, d * Config.OutDim).MoveToOuterDisposeScope();
    }

    public IReadOnlyList<Tensor> Embed(IReadOnlyList<ConditionerInput> batch, Device device)
    {
        int d = EmbedderKeys.ScalarKeys[Config.InputKey];
        var values = batch.SelectMany(row => EmbedderKeys.Scalars(row, Config.InputKey)).ToArray();
        using var scope = NewDisposeScope();
        var x = tensor(values, new long[] { batch.Count, d }, ScalarType.Float32).to(device);
        return new[] { forward(x).MoveToOuterDisposeScope() };
    }
}
