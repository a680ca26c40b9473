using Pipeline.Checkpoints;
using Pipeline.Models.Vae;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>AutoencoderKL against sgm on the vae goldens: posterior, sample, decode and stored intermediates.</summary>
public class VaeParityTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Cases => GoldenSet.Sgm.CasesStartingWith("vae_");

    internal static AutoencoderKL LoadModel(GoldenCase g)
    {
        var model = new AutoencoderKL(SgmParams.Vae(g.Json.GetProperty("params")));
        using var weights = g.OpenFile(g.Json.GetProperty("weights_file").GetString()!);
        StateDictLoader.Load(model, weights, g.Json.GetProperty("weights_prefix").GetString()!);
        model.eval();
        return model;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Vae_encode_and_decode_match_sgm(string name)
    {
        using var g = GoldenSet.Sgm.Open(name);
        using var model = LoadModel(g);
        output.WriteLine($"{name}: {model.Config}");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();

        var errors = new List<(string Key, double Error)>();
        var reported = new HashSet<string>();
        void Observe(string label, Tensor tensor)
        {
            var key = "act_" + label.Replace('.', '_');
            reported.Add(key);
            if (!g.Has(key)) return;
            using var expected = g[key];
            errors.Add((key, GoldenAssert.ScaledError(expected, tensor)));
        }
        void Compare(string key, Tensor actual) => errors.Add((key, GoldenAssert.ScaledError(g[key], actual)));

        var moments = model.EncodeMoments(g["x"], observe: Observe);
        Compare("moments", moments);
        using var posterior = new DiagonalGaussianDistribution(moments);
        Compare("mean", posterior.Mean);
        Compare("logvar", posterior.LogVar);
        Compare("std", posterior.Std);
        Compare("mode", posterior.Mode());
        Compare("z_sample", posterior.Sample(g["noise_0"]));
        Compare("decoded", model.Decode(g["mode"], observe: Observe));

        foreach (var (key, error) in errors) output.WriteLine($"{key}: {error:E2} (tolerance {Tolerance:E0})");
        var stored = g.Tensors.Entries.Keys.Where(k => k.StartsWith("act_", StringComparison.Ordinal)).ToList();
        Assert.Empty(stored.Except(reported));
        Assert.All(errors, e => Assert.True(e.Error <= Tolerance, $"{name} {e.Key}: scaled error {e.Error:E3} > {Tolerance:E0}"));
    }
}
