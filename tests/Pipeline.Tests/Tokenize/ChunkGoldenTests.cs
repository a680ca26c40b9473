using Pipeline.Tokenize;
using Pipeline.Tokenize.Prompts;
using Xunit;

namespace Pipeline.Tests.Tokenize;

/// <summary>
/// Our A1111 and ComfyUI chunking against the originals' outputs: every id, weight and embedding position of every
/// chunk of both SDXL encoders. Where the originals produce something unusable (A1111's chunks longer than 77 for an
/// 80-vector embedding, ComfyUI dropping an unknown embedding with a warning, ComfyUI raising), we answer with an error.
/// </summary>
public class ChunkGoldenTests
{
    [Fact]
    public void The_golden_sets_are_present_and_complete()
    {
        Assert.Equal(435, ChunkGoldens.A1111Cases.Count);
        Assert.Equal(435, ChunkGoldens.ComfyCases.Count);
        Assert.Equal(1193, ChunkGoldens.ComfyWeightCases.Count);
    }

    [Theory]
    [MemberData(nameof(ChunkGoldens.ComfyWeightRows), MemberType = typeof(ChunkGoldens))]
    public void Comfy_weights_match_ComfyUI(int index)
    {
        var golden = ChunkGoldens.ComfyWeightCases[index];
        var pieces = ComfyWeights.Parse(golden.Prompt);
        Assert.Equal(golden.Pieces!.Select(p => p.Text), pieces.Select(p => p.Text));
        Assert.Equal(golden.Pieces!.Select(p => p.Weight), pieces.Select(p => p.Weight));
    }

    [Theory]
    [MemberData(nameof(ChunkGoldens.A1111Rows), MemberType = typeof(ChunkGoldens))]
    public void A1111_chunks_match_A1111(int index)
    {
        var golden = ChunkGoldens.A1111Cases[index];
        var library = ChunkGoldens.Library(golden.Embeddings, "a1111");
        bool oversized = golden.ClipL?.Concat(golden.ClipG!).Any(c => c.Tokens.Count != ClipVocabulary.ContextLength) ?? false;
        if (golden.Error is not null || oversized)
        {
            // A1111 raised, or built chunks of more than 77 tokens (an embedding of over 75 vectors) that no encoder takes.
            Assert.Throws<ArgumentException>(() => PromptEncoder.Encode(golden.Prompt, PromptStyle.A1111, library));
            return;
        }
        var encoding = PromptEncoder.Encode(golden.Prompt, PromptStyle.A1111, library);
        AssertChunks(golden.Prompt, "clip_l", golden.ClipL!, encoding.ClipL, library, a1111: true);
        AssertChunks(golden.Prompt, "clip_g", golden.ClipG!, encoding.OpenClip, library, a1111: true);
        Assert.Equal(golden.ClipLTokenCount, encoding.ClipL.TokenCount);
        Assert.Equal(golden.ClipGTokenCount, encoding.OpenClip.TokenCount);
    }

    [Theory]
    [MemberData(nameof(ChunkGoldens.ComfyRows), MemberType = typeof(ChunkGoldens))]
    public void Comfy_chunks_match_ComfyUI(int index)
    {
        var golden = ChunkGoldens.ComfyCases[index];
        var library = ChunkGoldens.Library(golden.Embeddings, "comfy");
        if (golden.Error is not null || golden.Warnings.Count > 0)
        {
            // ComfyUI raised, or dropped an embedding it could not find (with a warning): we refuse instead.
            var e = Assert.Throws<ArgumentException>(() => PromptEncoder.Encode(golden.Prompt, PromptStyle.Comfy, library));
            Assert.Contains("embedding", e.Message);
            return;
        }
        var encoding = PromptEncoder.Encode(golden.Prompt, PromptStyle.Comfy, library);
        AssertChunks(golden.Prompt, "clip_l", golden.ClipL!, encoding.ClipL, library, a1111: false);
        AssertChunks(golden.Prompt, "clip_g", golden.ClipG!, encoding.OpenClip, library, a1111: false);
    }

    static void AssertChunks(string prompt, string encoder, IReadOnlyList<GoldenChunk> expected, EncoderChunks actual,
        Pipeline.Tokenize.Embeddings.EmbeddingLibrary library, bool a1111)
    {
        string Where(int k) => $"{encoder} chunk {k} of \"{prompt}\"";
        Assert.True(expected.Count == actual.Chunks.Length, $"{encoder} of \"{prompt}\": {expected.Count} chunks expected, got {actual.Chunks.Length}");
        for (int k = 0; k < expected.Count; k++)
        {
            var chunk = actual.Chunks[k];
            var slots = chunk.Embeddings.ToDictionary(s => s.Position);
            var expectedSlots = new Dictionary<int, (string Name, int Vector)>();
            if (a1111)
                foreach (var (offset, name) in expected[k].Fixes)
                    for (int v = 0; v < library.Get(name).VectorCount; v++) expectedSlots[offset + 1 + v] = (name, v);
            for (int p = 0; p < ClipVocabulary.ContextLength; p++)
            {
                var e = expected[k].Tokens[p];
                Assert.True(e.Weight.Equals(chunk.Weights[p]), $"{Where(k)}, position {p}: weight {e.Weight:R} expected, got {chunk.Weights[p]:R}");
                if (e.Embedding is not null) expectedSlots[p] = (Path.GetFileName(e.Embedding), e.Vector);
                else Assert.True(e.Id == chunk.Ids[p], $"{Where(k)}, position {p}: id {e.Id} expected, got {chunk.Ids[p]}");
                if (expectedSlots.ContainsKey(p) != slots.ContainsKey(p))
                    Assert.Fail($"{Where(k)}, position {p}: {(expectedSlots.ContainsKey(p) ? "an embedding vector expected" : $"no embedding expected, got {slots[p]}")}");
                if (slots.TryGetValue(p, out var slot))
                    Assert.Equal(expectedSlots[p], (slot.Name, slot.Vector));
            }
        }
    }
}
