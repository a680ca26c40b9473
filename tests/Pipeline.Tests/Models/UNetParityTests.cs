using Pipeline.Checkpoints;
using Pipeline.Models.Unet;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Models;

/// <summary>The UNet against sgm's UNetModel on the tiny goldens: output and every stored intermediate.</summary>
public class UNetParityTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-4;

    public static IEnumerable<object[]> Cases => GoldenSet.Sgm.CasesStartingWith("unet_");

    internal static UNetModel LoadModel(GoldenCase g)
    {
        var config = SgmParams.UNet(g.Json.GetProperty("params"));
        var model = new UNetModel(config);
        using var weights = g.OpenFile(g.Json.GetProperty("weights_file").GetString()!);
        StateDictLoader.Load(model, weights, g.Json.GetProperty("weights_prefix").GetString()!);
        model.eval();
        return model;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Unet_output_and_intermediates_match_sgm(string name)
    {
        using var g = GoldenSet.Sgm.Open(name);
        using var model = LoadModel(g);
        output.WriteLine($"{name}: {model.Config}");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();

        var errors = new List<(string Key, double Error)>();
        var reported = new HashSet<string>();
        var result = model.Forward(g["x"], g["timesteps"], g["context"], g.Has("y") ? g["y"] : null, (label, tensor) =>
        {
            var key = label == "t_emb" ? label : "act_" + label.Replace('.', '_');
            reported.Add(key);
            if (!g.Has(key)) return;
            using var expected = g[key];
            errors.Add((key, GoldenAssert.ScaledError(expected, tensor)));
        });
        errors.Add(("out", GoldenAssert.ScaledError(g["out"], result)));

        foreach (var (key, error) in errors) output.WriteLine($"{key}: {error:E2} (tolerance {Tolerance:E0})");
        var stored = g.Tensors.Entries.Keys.Where(k => k.StartsWith("act_", StringComparison.Ordinal) || k == "t_emb").ToList();
        Assert.Empty(stored.Except(reported));
        Assert.All(errors, e => Assert.True(e.Error <= Tolerance, $"{name} {e.Key}: scaled error {e.Error:E3} > {Tolerance:E0}"));
    }
}
