using System.Collections.Immutable;
using Pipeline.Conditioning;
using Pipeline.Generation;
using Pipeline.Tokenize;
using Pipeline.Tokenize.Prompts;

namespace Pipeline.Stages;

/// <summary>
/// The text encoders a conditioner has (the refiner has no CLIP-L) and how a prompt's chunks become its
/// <see cref="ConditionerInput"/> rows: ids, token weights, textual-inversion vectors.
/// </summary>
internal sealed record ConditionEncoders(long? ClipLWidth, long? OpenClipWidth)
{
    public static ConditionEncoders Of(GeneralConditioner conditioner) => new(
        conditioner.Embedders.OfType<FrozenCLIPEmbedder>().Select(e => (long?)e.Config.Text.Width).FirstOrDefault(),
        conditioner.Embedders.OfType<FrozenOpenCLIPEmbedder2>().Select(e => (long?)e.Config.Text.Width).FirstOrDefault());

    /// <summary>Chunks a prompt takes here: the longer encoder's (A1111 pads the other); ComfyUI cuts both to the shorter.</summary>
    public int ChunkCount(PromptEncoding p, PromptStyle style)
    {
        var counts = new List<int>();
        if (ClipLWidth is not null) counts.Add(p.ClipL.Chunks.Length);
        if (OpenClipWidth is not null) counts.Add(p.OpenClip.Chunks.Length);
        if (counts.Count == 0) return 1;
        return style == PromptStyle.Comfy ? counts.Min() : counts.Max();
    }

    /// <summary>Refuses embeddings whose widths are not this model's, before any encoding.</summary>
    public void CheckEmbeddings(IEnumerable<PromptEncoding> prompts)
    {
        var problems = prompts.SelectMany(p => p.Embeddings.Values).Distinct().SelectMany(e =>
        {
            var list = new List<string>();
            if (ClipLWidth is { } l && e.ClipLWidth != l) list.Add($"its clip_l vectors are {e.ClipLWidth} wide but this model's CLIP-L embeddings are {l}");
            if (OpenClipWidth is { } g && e.ClipGWidth != g) list.Add($"its clip_g vectors are {e.ClipGWidth} wide but this model's OpenCLIP embeddings are {g}");
            return list.Count == 0 ? Array.Empty<string>() : new[] { $"embedding '{e.Name}'{(e.Source is null ? "" : $" ({e.Source})")}: {string.Join("; ", list)} (it was made for another model)" };
        }).ToList();
        if (problems.Count > 0) throw new ArgumentException(string.Join("; ", problems));
    }

    /// <summary>Row input for chunk <paramref name="k"/> of a prompt (the empty chunk beyond its last).</summary>
    public ConditionerInput Input(PromptEncoding p, int k, PromptStyle style, MicroConditioning micro, double aesthetic) =>
        new(ClipLWidth is null ? null : Chunk(p.ClipL, k, ClipVocabulary.EndOfText).Ids.ToArray(),
            OpenClipWidth is null ? null : Chunk(p.OpenClip, k, 0).Ids.ToArray(),
            micro.OriginalSize, micro.Crop, micro.TargetSize, aesthetic)
        {
            ClipLExtras = ClipLWidth is null ? null : Extras(Chunk(p.ClipL, k, ClipVocabulary.EndOfText), p, e => e.ClipL),
            OpenClipExtras = OpenClipWidth is null ? null : Extras(Chunk(p.OpenClip, k, 0), p, e => e.ClipG),
            Emphasis = style.Emphasis(),
        };

    static TokenChunk Chunk(EncoderChunks chunks, int k, int pad) => k < chunks.Chunks.Length ? chunks.Chunks[k] : TokenChunk.Empty(pad);

    static TextTokenExtras Extras(TokenChunk chunk, PromptEncoding p,
        Func<Tokenize.Embeddings.TextualInversion, ImmutableArray<ImmutableArray<float>>> vectors) =>
        !chunk.HasWeights && chunk.Embeddings.IsEmpty ? TextTokenExtras.None : new TextTokenExtras(
            chunk.HasWeights ? chunk.Weights.Select(w => (float)w).ToImmutableArray() : ImmutableArray<float>.Empty,
            chunk.Embeddings.Select(s => new TokenVector(s.Position, vectors(p.Embeddings[s.Name])[s.Vector])).ToImmutableArray());
}
