using Pipeline.Models.TextEncoders;
using static TorchSharp.torch;

namespace Pipeline.Conditioning;

/// <summary>
/// The per-token extras of a conditioner batch for one text encoder: textual-inversion vectors as a
/// <see cref="TokenVectors"/> replacement, and the token weights applied to the encoder's hidden states with the
/// batch's <see cref="TokenEmphasis"/>.
/// </summary>
internal static class TextExtrasBatch
{
    /// <summary>Checks every row's extras; returns the batch's emphasis (rows must agree).</summary>
    public static TokenEmphasis Check(IReadOnlyList<ConditionerInput> batch, Func<ConditionerInput, TextTokenExtras?> extras, int length,
        long width, string field)
    {
        var problems = batch.Select((r, i) => (extras(r), i)).Where(x => x.Item1 is not null)
            .SelectMany(x => x.Item1!.Problems(length, width).Select(p => $"row {x.i}: {field}: {p}")).ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
        var modes = batch.Select(r => r.Emphasis).Distinct().ToList();
        if (modes.Count > 1) throw new ArgumentException($"rows of one conditioner batch must share the token emphasis; got {string.Join(", ", modes)}");
        return modes[0];
    }

    /// <summary>The replacement vectors of the batch, or null when no row has any.</summary>
    public static TokenVectors? Vectors(IReadOnlyList<ConditionerInput> batch, Func<ConditionerInput, TextTokenExtras?> extras, int length,
        long width, Device device)
    {
        if (!batch.Any(r => extras(r) is { Vectors: { IsDefaultOrEmpty: false } })) return null;
        var mask = new bool[batch.Count * length];
        var values = new float[batch.Count * length * width];
        for (int b = 0; b < batch.Count; b++)
            foreach (var v in extras(batch[b])?.Vectors ?? default)
            {
                mask[b * length + v.Position] = true;
                v.Values.CopyTo(values, (b * length + v.Position) * (int)width);
            }
        using var m = tensor(mask, new long[] { batch.Count, length });
        using var x = tensor(values, new long[] { batch.Count, length, width });
        return new TokenVectors(m.to(device), x.to(device));
    }

    /// <summary>
    /// <paramref name="z"/> [B, L, W] with each row's token weights applied (<paramref name="z"/> itself, untouched,
    /// when no weight differs from 1). <paramref name="empty"/> gives the empty prompt's states [1, L, W] (Comfy only).
    /// </summary>
    public static Tensor Weighted(Tensor z, IReadOnlyList<ConditionerInput> batch, Func<ConditionerInput, TextTokenExtras?> extras,
        TokenEmphasis emphasis, Func<Tensor> empty)
    {
        if (emphasis == TokenEmphasis.None || !batch.Any(r => extras(r)?.HasWeights == true)) return z;
        int length = (int)z.shape[1];
        var flat = new float[batch.Count * length];
        Array.Fill(flat, 1f);
        for (int b = 0; b < batch.Count; b++)
            if (extras(batch[b]) is { Weights: { IsDefaultOrEmpty: false } w })
                w.CopyTo(flat, b * length);
        using var scope = NewDisposeScope();
        var weights = tensor(flat, new long[] { batch.Count, length, 1 }).to(z.device);
        var z32 = z.to(ScalarType.Float32);
        Tensor result;
        if (emphasis == TokenEmphasis.A1111)
        {
            // A1111 "Original": multiply, then restore the mean the states had before (per row: a pure function of the prompt).
            var originalMean = z32.mean(new long[] { 1, 2 }, keepdim: true);
            var multiplied = z32 * weights;
            result = multiplied * (originalMean / multiplied.mean(new long[] { 1, 2 }, keepdim: true));
        }
        else
        {
            var e = empty().to(ScalarType.Float32);
            result = where(weights != 1f, (z32 - e) * weights + e, z32);
        }
        var cast = result.to(z.dtype);
        z.Dispose();
        return cast.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// One text encoder over a conditioner batch with its extras: ids from <paramref name="ids"/>, replacement vectors and
    /// token weights from <paramref name="extras"/>; <paramref name="embed"/> runs the encoder (ids, vectors) → outputs,
    /// the first being the hidden states that the weights act on (the empty prompt, for ComfyUI's weighting, is padded
    /// with <paramref name="pad"/>).
    /// </summary>
    public static IReadOnlyList<Tensor> Embed(IReadOnlyList<ConditionerInput> batch, Func<ConditionerInput, int[]?> ids,
        Func<ConditionerInput, TextTokenExtras?> extras, string idsField, string extrasField, Models.TextEncoders.ClipTextConfig text, int pad,
        Device device, Func<Tensor, TokenVectors?, IReadOnlyList<Tensor>> embed)
    {
        int length = text.MaxPositions;
        var emphasis = Check(batch, extras, length, text.Width, extrasField);
        using var tokens = TokenBatch.ToTensor(batch.Select(ids).ToList(), length, text.VocabSize, idsField, device);
        var vectors = Vectors(batch, extras, length, text.Width, device);
        try
        {
            var outputs = embed(tokens, vectors).ToArray();
            outputs[0] = Weighted(outputs[0], batch, extras, emphasis, () =>
            {
                using var empty = EmptyIds(length, pad, device);
                var states = embed(empty, null);
                for (int i = 1; i < states.Count; i++) states[i].Dispose();
                return states[0];
            });
            return outputs;
        }
        finally
        {
            vectors?.Mask.Dispose();
            vectors?.Values.Dispose();
        }
    }

    /// <summary>The ids of the empty prompt: start, end, then <paramref name="pad"/> ([1, <paramref name="length"/>] int64).</summary>
    public static Tensor EmptyIds(int length, int pad, Device device)
    {
        var ids = new long[length];
        Array.Fill(ids, pad);
        ids[0] = Tokenize.ClipVocabulary.StartOfText;
        if (length > 1) ids[1] = Tokenize.ClipVocabulary.EndOfText;
        using var cpu = tensor(ids, new long[] { 1, length });
        return cpu.to(device);
    }
}
