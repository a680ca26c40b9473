using Pipeline.Conditioning;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Conditioning;

public class ConcatTimestepEmbedderNDParityTests(ITestOutputHelper output)
{
    const double Tolerance = 2e-4;

    [Fact]
    public void Size_crop_and_aesthetic_embeddings_and_vector_tails_match_sgm()
    {
        using var g = GoldenSet.Sgm.Open("embeddings");
        var embedded = new Dictionary<string, Tensor>();
        try
        {
            foreach (var key in EmbedderKeys.ScalarKeys.Keys)
            {
                using var embedder = new ConcatTimestepEmbedderND(new ConcatTimestepEmbedderNDConfig(key, OutDim: 256));
                using var input = g[key];
                var actual = embedder.forward(input);
                Assert.Equal(ScalarType.Float32, actual.dtype);
                embedded[key] = actual;
                using var expected = g[key + "_emb"];
                var err = GoldenAssert.Close(expected, actual, Tolerance, key + "_emb");
                output.WriteLine($"{key}_emb: {err:E2} (tolerance {Tolerance:E0})");
            }
            using var baseTail = cat(new[] { embedded[EmbedderKeys.OriginalSize], embedded[EmbedderKeys.CropCoordsTopLeft], embedded[EmbedderKeys.TargetSize] }, 1);
            using var refinerTail = cat(new[] { embedded[EmbedderKeys.OriginalSize], embedded[EmbedderKeys.CropCoordsTopLeft], embedded[EmbedderKeys.AestheticScore] }, 1);
            using var expectedBase = g["base_vector_tail"];
            using var expectedRefiner = g["refiner_vector_tail"];
            output.WriteLine($"base_vector_tail: {GoldenAssert.Close(expectedBase, baseTail, Tolerance, "base_vector_tail"):E2}");
            output.WriteLine($"refiner_vector_tail: {GoldenAssert.Close(expectedRefiner, refinerTail, Tolerance, "refiner_vector_tail"):E2}");
        }
        finally { foreach (var t in embedded.Values) t.Dispose(); }
    }

    [Fact]
    public void Each_scalar_is_embedded_separately_and_concatenated_per_row()
    {
        using var embedder = new ConcatTimestepEmbedderND(new ConcatTimestepEmbedderNDConfig(EmbedderKeys.OriginalSize, OutDim: 6));
        using var x = tensor(new float[] { 3, 700, 5, 11 }, new long[] { 2, 2 });
        using var actual = embedder.forward(x);
        Assert.Equal(new long[] { 2, 12 }, actual.shape);
        using var single = Pipeline.Models.TimestepEmbedding.Sinusoidal(tensor(new float[] { 700 }), 6);
        using var second = actual[0, TensorIndex.Slice(6, 12)];
        Assert.True(second.allclose(single[0]), "row 0, scalar 1 must be the embedding of 700 alone");
    }

    [Fact]
    public void Unknown_input_keys_are_refused_listing_the_valid_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => new ConcatTimestepEmbedderND(new ConcatTimestepEmbedderNDConfig("orig_size")));
        Assert.Contains(EmbedderKeys.OriginalSize, e.Message);
        Assert.Contains(EmbedderKeys.AestheticScore, e.Message);
    }
}
