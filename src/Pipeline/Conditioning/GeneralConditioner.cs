using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Pipeline.Conditioning;

/// <summary>
/// sgm <c>GeneralConditioner</c>: runs its embedders in order (state keys <c>embedders.N.*</c>, so the released
/// checkpoints load under the prefix <c>conditioner.</c>) and routes each output by name into an explicit
/// <see cref="Conditioning"/>, concatenating crossattn parts on channels and vector parts on features in embedder
/// order. Training-time UCG dropout zeroes whole rows of an embedder's output with probability <c>ucg_rate</c>,
/// drawn from an injected generator; <c>forceZeroEmbeddings</c> zeroes the outputs of embedders by input key
/// (sgm's SDXL sampling passes "txt" for the unconditional branch: both text encoders' outputs, pooled included,
/// become zeros, while the size/crop/aesthetic embeddings are still computed from that branch's own values).
/// Dtypes: crossattn comes in the text encoders' dtype; the size embeddings are always float32, so with bf16/fp16
/// text encoders the concatenated vector is promoted to float32 (the network casts it to its own dtype).
/// </summary>
public sealed class GeneralConditioner : nn.Module<IReadOnlyList<ConditionerInput>, Conditioning>
{
    private readonly ModuleList<nn.Module> embedders;

    /// <summary>The embedders in order, as their common contract.</summary>
    public IReadOnlyList<IEmbedder> Embedders { get; }

    /// <summary>Builds the embedders of <paramref name="config"/> on <paramref name="device"/> (meta builds without memory) in <paramref name="dtype"/>.</summary>
    public GeneralConditioner(ConditionerConfig config, Device? device = null, ScalarType? dtype = null)
        : this(Build((config ?? throw new ArgumentNullException(nameof(config))).Validate(), device, dtype)) { }

    /// <summary>A conditioner over given embedder modules (each must implement <see cref="IEmbedder"/>).</summary>
    public GeneralConditioner(IEnumerable<nn.Module> modules) : base(nameof(GeneralConditioner))
    {
        var list = (modules ?? throw new ArgumentNullException(nameof(modules))).ToArray();
        if (list.Length == 0) throw new ArgumentException("a conditioner needs at least one embedder");
        var notEmbedders = list.Select((m, i) => (m, i)).Where(x => x.m is not IEmbedder).Select(x => $"{x.i} ({x.m?.GetType().Name ?? "null"})").ToList();
        if (notEmbedders.Count > 0) throw new ArgumentException($"modules {string.Join(", ", notEmbedders)} do not implement {nameof(IEmbedder)}");
        Embedders = list.Cast<IEmbedder>().ToList();
        embedders = new ModuleList<nn.Module>(list);
        RegisterComponents();
    }

    static IEnumerable<nn.Module> Build(ConditionerConfig config, Device? device, ScalarType? dtype) =>
        config.Embedders.Select<EmbedderConfig, nn.Module>(e => e switch
        {
            FrozenCLIPEmbedderConfig c => new FrozenCLIPEmbedder(c, device, dtype),
            FrozenOpenCLIPEmbedder2Config c => new FrozenOpenCLIPEmbedder2(c, device, dtype),
            ConcatTimestepEmbedderNDConfig c => new ConcatTimestepEmbedderND(c),
            _ => throw new ArgumentException($"unknown embedder config {e.GetType().Name}; valid: {nameof(FrozenCLIPEmbedderConfig)}, {nameof(FrozenOpenCLIPEmbedder2Config)}, {nameof(ConcatTimestepEmbedderNDConfig)}"),
        }).ToList();

    /// <summary>The input keys of the embedders (valid values of <c>forceZeroEmbeddings</c>).</summary>
    public IReadOnlyList<string> InputKeys => Embedders.Select(e => e.InputKey).Distinct().ToList();

    /// <summary>Width of the concatenated output of <paramref name="kind"/> (0 when no embedder produces it).</summary>
    public long Width(ConditioningKind kind) =>
        Embedders.SelectMany(e => e.Outputs.Zip(e.OutputWidths)).Where(o => o.First == kind).Sum(o => o.Second);

    /// <summary>Conditioning of <paramref name="batch"/> without dropout and with no forced zeros.</summary>
    public override Conditioning forward(IReadOnlyList<ConditionerInput> batch) => Forward(batch);

    /// <summary>
    /// Conditioning of <paramref name="batch"/> (one row per sample). Outputs of embedders whose input key is in
    /// <paramref name="forceZeroEmbeddings"/> are zeros. With <paramref name="ucgGenerator"/> (training), each
    /// embedder with a positive UCG rate zeroes each output's rows independently with that probability, drawn on
    /// the CPU from the generator in embedder and output order. Frozen embedders run without a graph (sgm) unless
    /// <paramref name="graphThroughFrozen"/> (adapter training: hooks on frozen text encoders carry trainable parameters).
    /// The caller owns the returned tensors.
    /// </summary>
    public Conditioning Forward(IReadOnlyList<ConditionerInput> batch, IReadOnlyCollection<string>? forceZeroEmbeddings = null,
        Generator? ucgGenerator = null, bool graphThroughFrozen = false)
    {
        CheckBatch(batch);
        var forceZero = forceZeroEmbeddings ?? Array.Empty<string>();
        var unknown = forceZero.Where(k => !InputKeys.Contains(k)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"force-zero keys {string.Join(", ", unknown)} name no embedder; valid: {string.Join(", ", InputKeys)}");
        var device = parameters().FirstOrDefault()?.device ?? CPU;

        using var scope = NewDisposeScope();
        var parts = Enum.GetValues<ConditioningKind>().ToDictionary(k => k, _ => new List<Tensor>());
        foreach (var embedder in Embedders)
        {
            IReadOnlyList<Tensor> outputs;
            using (embedder.IsTrainable || graphThroughFrozen ? null : no_grad()) outputs = embedder.Embed(batch, device);
            foreach (var (emb, kind) in outputs.Zip(embedder.Outputs))
            {
                var e = emb;
                if (ucgGenerator is not null && embedder.UcgRate > 0) e = DropRows(e, embedder.UcgRate, ucgGenerator);
                if (forceZero.Contains(embedder.InputKey)) e = zeros_like(e);
                parts[kind].Add(e);
            }
        }
        var result = new Conditioning(Join(parts[ConditioningKind.CrossAttn], ConditioningKind.CrossAttn),
            Join(parts[ConditioningKind.Vector], ConditioningKind.Vector),
            Join(parts[ConditioningKind.Concat], ConditioningKind.Concat));
        result.CrossAttn?.MoveToOuterDisposeScope();
        result.Vector?.MoveToOuterDisposeScope();
        result.Concat?.MoveToOuterDisposeScope();
        return result;
    }

    /// <summary>
    /// sgm's <c>get_unconditional_conditioning</c>: the conditional and the unconditional conditioning, each from its
    /// own rows and with its own forced zeros, without UCG dropout.
    /// </summary>
    public (Conditioning Cond, Conditioning Uncond) GetUnconditionalConditioning(
        IReadOnlyList<ConditionerInput> cond, IReadOnlyList<ConditionerInput> uncond,
        IReadOnlyCollection<string>? forceUncondZeroEmbeddings = null, IReadOnlyCollection<string>? forceCondZeroEmbeddings = null)
    {
        var c = Forward(cond, forceCondZeroEmbeddings);
        try { return (c, Forward(uncond, forceUncondZeroEmbeddings)); }
        catch
        {
            Dispose(c);
            throw;
        }
    }

    static void Dispose(Conditioning c)
    {
        c.CrossAttn?.Dispose();
        c.Vector?.Dispose();
        c.Concat?.Dispose();
    }

    static Tensor DropRows(Tensor e, double rate, Generator generator)
    {
        var keep = bernoulli(full(new long[] { e.shape[0] }, 1.0 - rate, dtype: ScalarType.Float32), generator);
        var shape = new long[e.dim()];
        Array.Fill(shape, 1L);
        shape[0] = e.shape[0];
        return keep.to(e.dtype, e.device).view(shape) * e;
    }

    static Tensor? Join(List<Tensor> parts, ConditioningKind kind) => parts.Count switch
    {
        0 => null,
        1 => parts[0],
        _ => cat(parts, kind.ConcatDim()),
    };

    void CheckBatch(IReadOnlyList<ConditionerInput> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) throw new ArgumentException("the conditioner batch is empty");
        var problems = batch.Select((row, i) => (row, i))
            .SelectMany(x => x.row is null ? new[] { $"row {x.i} is null" } : x.row.Problems().Select(p => $"row {x.i}: {p}"))
            .ToList();
        if (problems.Count > 0) throw new ArgumentException($"invalid conditioner input: {string.Join("; ", problems)}");
    }
}
