using System.Collections.Immutable;
using Pipeline.Conditioning;
using Pipeline.Generation;
using Pipeline.Tokenize.Prompts;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>
/// Condition: prompt chunks + micro-conditioning → the conditional and unconditional conditioning, as sgm's SDXL
/// sampling computes them, for prompts of any length: each branch from its own rows (the unconditional one with the
/// negative aesthetic score); a row whose negative prompt is empty gets zeroed unconditional text embeddings (sgm's
/// <c>force_uc_zero_embeddings=["txt"]</c>) while its size/crop/aesthetic embeddings are still computed.
/// <para>Long prompts: every 77-token chunk is encoded by both text encoders (with its token weights and
/// textual-inversion vectors) and the chunks are joined along the sequence, so the context is [B, 77·k, 2048]; the
/// pooled vector comes from the first chunk (as A1111 and ComfyUI do). Rows of one branch with fewer chunks are
/// padded with encoded empty chunks (A1111, as its batches are) or repeated to the least common multiple (ComfyUI);
/// the two branches are then repeated to a common length, which leaves cross-attention unchanged, so it is exactly
/// A1111's and ComfyUI's default of running prompt and negative prompt at their own lengths.</para>
/// </summary>
public static class ConditionStage
{
    public static ConditioningPair Run(GeneralConditioner conditioner, PromptTokens tokens, IReadOnlyList<MicroConditioning> micro,
        IReadOnlyList<bool> zeroNegative)
    {
        ArgumentNullException.ThrowIfNull(conditioner);
        ArgumentNullException.ThrowIfNull(tokens);
        int n = tokens.Prompt.Length;
        if (tokens.Negative.Length != n || micro.Count != n || zeroNegative.Count != n)
            throw new ArgumentException($"{n} prompts, {tokens.Negative.Length} negative prompts, {micro.Count} micro-conditionings and {zeroNegative.Count} zero flags: one of each per row");
        if (n == 0) throw new ArgumentException("the batch is empty");
        var encoders = ConditionEncoders.Of(conditioner);
        encoders.CheckEmbeddings(tokens.Prompt.Concat(tokens.Negative));
        var style = tokens.Style;
        using var noGrad = no_grad();
        var cond = Branch(conditioner, encoders, style, tokens.Prompt, micro, m => m.AestheticScore, null);
        try
        {
            var uncond = Branch(conditioner, encoders, style, tokens.Negative, micro, m => m.NegativeAestheticScore, zeroNegative);
            return Even(cond, uncond);
        }
        catch
        {
            new ConditioningPair(cond, new Conditioning.Conditioning()).Dispose();
            throw;
        }
    }

    /// <summary>Tokens + micro-conditioning of <paramref name="rows"/> (the usual call).</summary>
    public static ConditioningPair Run(GeneralConditioner conditioner, PromptTokens tokens, IReadOnlyList<PromptRow> rows) =>
        Run(conditioner, tokens, rows.Select(r => r.Micro).ToList(), rows.Select(r => r.ZeroesNegative).ToList());

    /// <summary>Tokenize (with <paramref name="options"/>) + Condition of <paramref name="rows"/>.</summary>
    public static ConditioningPair Run(GeneralConditioner conditioner, IReadOnlyList<PromptRow> rows, PromptOptions? options = null) =>
        Run(conditioner, PromptTokenizer.Run(rows, options), rows);

    /// <summary>One branch: chunk 0 gives the vector (and is zeroed for zero rows), later chunks add context.</summary>
    static Conditioning.Conditioning Branch(GeneralConditioner conditioner, ConditionEncoders encoders, PromptStyle style,
        ImmutableArray<PromptEncoding> prompts, IReadOnlyList<MicroConditioning> micro, Func<MicroConditioning, double> aesthetic,
        IReadOnlyList<bool>? zero)
    {
        int n = prompts.Length;
        var own = prompts.Select((p, i) => zero?[i] == true ? 1 : encoders.ChunkCount(p, style)).ToArray();
        int maxOwn = own.Max();
        ConditionerInput Row(int i, int k) => encoders.Input(prompts[i], k, style, micro[i], aesthetic(micro[i]));
        IReadOnlyList<ConditionerInput> Rows(int k) => Enumerable.Range(0, n).Select(i => Row(i, k)).ToList();

        using var scope = NewDisposeScope();
        var first = FirstChunk(conditioner, Rows(0), zero);
        var crossAttn = first.CrossAttn!;
        if (maxOwn > 1 || own.Distinct().Count() > 1)
        {
            var perChunk = new List<Tensor> { crossAttn };
            // Chunk k of a row that has fewer chunks is the empty chunk: exactly A1111's in-batch padding.
            for (int k = 1; k < maxOwn; k++) perChunk.Add(conditioner.Forward(Rows(k)).CrossAttn!);
            var rows = Enumerable.Range(0, n).Select(i =>
            {
                var ownChunks = perChunk.Take(own[i]).Select(c => c[i]).ToList();
                if (style != PromptStyle.Comfy) return cat(perChunk.Select(c => c[i]).ToList(), 0);
                // ComfyUI batches conditionings of different lengths by repeating each to the least common multiple.
                return cat(ownChunks, 0).repeat(Lcm(own) / own[i], 1);
            }).ToList();
            crossAttn = stack(rows, 0);
        }
        return new Conditioning.Conditioning(crossAttn.MoveToOuterDisposeScope(), first.Vector?.MoveToOuterDisposeScope(), first.Concat?.MoveToOuterDisposeScope());
    }

    /// <summary>The conditioner on chunk 0, with sgm's zeroed text embeddings for the rows that ask for them.</summary>
    static Conditioning.Conditioning FirstChunk(GeneralConditioner conditioner, IReadOnlyList<ConditionerInput> rows, IReadOnlyList<bool>? zero)
    {
        string[] text = { EmbedderKeys.Text };
        if (zero is null || zero.All(z => !z)) return conditioner.Forward(rows);
        if (zero.All(z => z)) return conditioner.Forward(rows, text);
        // Mixed rows: both variants, each row taking the one its negative prompt asks for.
        var encoded = conditioner.Forward(rows);
        var zeroed = conditioner.Forward(rows, text);
        using var scope = NewDisposeScope();
        var mask = tensor(zero.ToArray());
        Tensor? Pick(Tensor? z, Tensor? e) => z is null || e is null ? null
            : where(mask.to(z.device).view(new[] { (long)rows.Count }.Concat(Enumerable.Repeat(1L, (int)z.dim() - 1)).ToArray()), z, e).MoveToOuterDisposeScope();
        var picked = new Conditioning.Conditioning(Pick(zeroed.CrossAttn, encoded.CrossAttn), Pick(zeroed.Vector, encoded.Vector),
            Pick(zeroed.Concat, encoded.Concat));
        new ConditioningPair(zeroed, encoded).Dispose();
        return picked;
    }

    /// <summary>Both branches repeated to a common context length (the least common multiple; attention is unchanged by it).</summary>
    static ConditioningPair Even(Conditioning.Conditioning cond, Conditioning.Conditioning uncond)
    {
        long lc = cond.CrossAttn!.shape[1], lu = uncond.CrossAttn!.shape[1];
        if (lc == lu) return new ConditioningPair(cond, uncond);
        long common = lc / Gcd(lc, lu) * lu;
        Conditioning.Conditioning Tile(Conditioning.Conditioning c, long length)
        {
            if (length == common) return c;
            var tiled = c.CrossAttn!.repeat(1, common / length, 1);
            c.CrossAttn.Dispose();
            return c with { CrossAttn = tiled };
        }
        return new ConditioningPair(Tile(cond, lc), Tile(uncond, lu));
    }

    static int Lcm(IEnumerable<int> values) => values.Aggregate(1, (a, b) => (int)(a / Gcd(a, b) * b));

    static long Gcd(long a, long b) => b == 0 ? a : Gcd(b, a % b);
}
