using System.Collections.Immutable;
using Pipeline.Conditioning;
using static TorchSharp.torch;

namespace Pipeline.Tokenize.Embeddings;

/// <summary>
/// A new embedding initialised from a model's own token embeddings (A1111's "Create embedding" with an
/// initialization text): vector k is the token embedding of the k-th token of the text, in each text encoder. Such an
/// embedding stands for exactly those words, so it is also how an embedding is checked against the plain prompt.
/// </summary>
public static class TextualInversionFromTokens
{
    /// <summary>The embedding <paramref name="name"/> whose vectors are the token embeddings of <paramref name="initText"/> in <paramref name="conditioner"/>.</summary>
    /// <exception cref="ArgumentException">When the text has no tokens or more than <see cref="TextualInversion.MaxVectors"/>, or the conditioner lacks a text encoder.</exception>
    public static TextualInversion Create(GeneralConditioner conditioner, string name, string initText)
    {
        ArgumentNullException.ThrowIfNull(conditioner);
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(initText);
        var ids = ClipTokenizer.Get(ClipTokenizerVariant.ClipL).Tokenize(initText).UntruncatedIds;
        if (ids.Length == 0) throw new ArgumentException($"the initialization text \"{initText}\" has no tokens");
        if (ids.Length > TextualInversion.MaxVectors) throw new ArgumentException($"the initialization text has {ids.Length} tokens; at most {TextualInversion.MaxVectors}");
        var table = conditioner.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        Tensor Find(string suffix, string encoder) => table.FirstOrDefault(p => p.Key.EndsWith(suffix, StringComparison.Ordinal)).Value
            ?? throw new ArgumentException($"the model has no {encoder} text encoder; an SDXL embedding needs both (the refiner has only OpenCLIP)");
        return new TextualInversion(name,
            Rows(Find("transformer.text_model.embeddings.token_embedding.weight", "CLIP-L"), ids),
            Rows(Find("model.token_embedding.weight", "OpenCLIP"), ids));
    }

    static ImmutableArray<ImmutableArray<float>> Rows(Tensor table, ImmutableArray<int> ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var index = tensor(ids.Select(i => (long)i).ToArray());
        var rows = table.index_select(0, index.to(table.device)).to(ScalarType.Float32, CPU).contiguous();
        var values = rows.data<float>().ToArray();
        int width = (int)table.shape[1];
        return Enumerable.Range(0, ids.Length).Select(r => ImmutableArray.Create(values, r * width, width)).ToImmutableArray();
    }

    /// <summary>Writes <paramref name="embedding"/> as an SDXL embedding file (<c>clip_l</c>, <c>clip_g</c>, float32).</summary>
    public static void Save(TextualInversion embedding, string path)
    {
        ArgumentNullException.ThrowIfNull(embedding);
        using var scope = NewDisposeScope();
        Tensor Stack(ImmutableArray<ImmutableArray<float>> rows) =>
            tensor(rows.SelectMany(r => r).ToArray(), new long[] { rows.Length, rows[0].Length });
        Checkpoints.SafeTensorsWriter.Write(path, new Dictionary<string, Tensor>
        {
            [TextualInversion.ClipLKey] = Stack(embedding.ClipL),
            [TextualInversion.ClipGKey] = Stack(embedding.ClipG),
        }, new Dictionary<string, string> { ["name"] = embedding.Name });
    }
}
