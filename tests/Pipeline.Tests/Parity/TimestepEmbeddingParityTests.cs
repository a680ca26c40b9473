using Pipeline.Models;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Parity;

public class TimestepEmbeddingParityTests(ITestOutputHelper output)
{
    [Fact]
    public void Timestep_embedding_matches_sgm_for_every_stored_dim()
    {
        using var g = GoldenSet.Sgm.Open("embeddings");
        using var t = g["t"];
        var dims = g.Tensors.Entries.Keys.Where(k => k.StartsWith("timestep_embedding_")).ToList();
        Assert.NotEmpty(dims);
        foreach (var key in dims)
        {
            int dim = int.Parse(key["timestep_embedding_".Length..]);
            using var expected = g[key];
            using var actual = TimestepEmbedding.Sinusoidal(t, dim);
            var err = GoldenAssert.Close(expected, actual, 2e-4, key);
            output.WriteLine($"{key}: scaled error {err:E2} (tolerance 2e-4)");
        }
    }
}
