using Pipeline.Conditioning;
using Pipeline.Generation;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>
/// Condition: token ids + micro-conditioning → the conditional and unconditional conditioning, as sgm's SDXL sampling
/// computes them: each branch from its own rows (the unconditional one with the negative aesthetic score); a row whose
/// negative prompt is empty gets zeroed unconditional text embeddings (sgm's <c>force_uc_zero_embeddings=["txt"]</c>)
/// while its size/crop/aesthetic embeddings are still computed.
/// </summary>
public static class ConditionStage
{
    public static ConditioningPair Run(GeneralConditioner conditioner, PromptTokens tokens, IReadOnlyList<MicroConditioning> micro,
        IReadOnlyList<bool> zeroNegative)
    {
        ArgumentNullException.ThrowIfNull(conditioner);
        ArgumentNullException.ThrowIfNull(tokens);
        int n = tokens.Prompt.Count;
        if (tokens.Negative.Count != n || micro.Count != n || zeroNegative.Count != n)
            throw new ArgumentException($"{n} prompts, {tokens.Negative.Count} negative prompts, {micro.Count} micro-conditionings and {zeroNegative.Count} zero flags: one of each per row");
        IReadOnlyList<ConditionerInput> Rows(Tokenize.Tokens t, Func<MicroConditioning, double> aesthetic) => Enumerable.Range(0, n)
            .Select(i => new ConditionerInput(t.ClipL[i].Ids.ToArray(), t.OpenClip[i].Ids.ToArray(), micro[i].OriginalSize, micro[i].Crop,
                micro[i].TargetSize, aesthetic(micro[i])))
            .ToList();
        using var noGrad = no_grad();
        var cond = Rows(tokens.Prompt, m => m.AestheticScore);
        var uncond = Rows(tokens.Negative, m => m.NegativeAestheticScore);
        string[] text = { EmbedderKeys.Text };
        if (zeroNegative.All(z => z) || zeroNegative.All(z => !z))
        {
            var (c, u) = conditioner.GetUnconditionalConditioning(cond, uncond, zeroNegative[0] ? text : null);
            return new ConditioningPair(c, u);
        }
        // Mixed rows: both unconditional variants, each row taking the one its negative prompt asks for.
        var (c2, encoded) = conditioner.GetUnconditionalConditioning(cond, uncond);
        var zeroed = conditioner.Forward(uncond, text);
        using var scope = NewDisposeScope();
        var mask = tensor(zeroNegative.ToArray());
        Tensor? Pick(Tensor? z, Tensor? e) => z is null || e is null ? null
            : where(mask.to(z.device).view(new[] { (long)n }.Concat(Enumerable.Repeat(1L, (int)z.dim() - 1)).ToArray()), z, e).MoveToOuterDisposeScope();
        var picked = new Conditioning.Conditioning(Pick(zeroed.CrossAttn, encoded.CrossAttn), Pick(zeroed.Vector, encoded.Vector),
            Pick(zeroed.Concat, encoded.Concat));
        new ConditioningPair(zeroed, encoded).Dispose();
        return new ConditioningPair(c2, picked);
    }

    /// <summary>Tokens + micro-conditioning of <paramref name="rows"/> (the usual call).</summary>
    public static ConditioningPair Run(GeneralConditioner conditioner, PromptTokens tokens, IReadOnlyList<PromptRow> rows) =>
        Run(conditioner, tokens, rows.Select(r => r.Micro).ToList(), rows.Select(r => r.ZeroesNegative).ToList());

    /// <summary>Tokenize + Condition of <paramref name="rows"/>.</summary>
    public static ConditioningPair Run(GeneralConditioner conditioner, IReadOnlyList<PromptRow> rows) =>
        Run(conditioner, PromptTokenizer.Run(rows), rows);
}
