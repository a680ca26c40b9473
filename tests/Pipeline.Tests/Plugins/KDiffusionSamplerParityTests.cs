using Pipeline.Diffusion;
using Pipeline.Diffusion.Sampling;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Plugins;

/// <summary>
/// Every <c>kdiff_*</c> and <c>comfy_*</c> case of the k-diffusion goldens, replaying the recorded noise in order
/// through the sampler the registry (built-ins + plugins) holds for it; draw and call counts are checked.
/// </summary>
public class KDiffusionSamplerParityTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-5;

    public static IEnumerable<object[]> Cases =>
        GoldenSet.KDiffusion.CasesStartingWith("kdiff_").Concat(GoldenSet.KDiffusion.CasesStartingWith("comfy_"));

    [Fact]
    public void The_golden_set_has_sampler_cases_of_both_implementations()
    {
        Assert.NotEmpty(GoldenSet.KDiffusion.CasesStartingWith("kdiff_"));
        Assert.NotEmpty(GoldenSet.KDiffusion.CasesStartingWith("comfy_"));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sampler_matches_the_reference(string name)
    {
        using var g = GoldenSet.KDiffusion.Open(name);
        using var scope = NewDisposeScope();
        var json = g.Json;
        var producer = json.GetProperty("producer").GetString()!;
        var sampler = KDiffusionGoldenFactory.Sampler(PluginRegistry.Snapshot, producer, json.GetProperty("sampler_kwargs"),
            json.TryGetProperty("other_defaults_in_effect", out var d) ? d : default);
        double s2 = json.GetProperty("s2").GetDouble();
        var sigmas = new Sigmas(g["sigmas"].data<float>().ToArray());
        var mu = g["mu"];

        var calls = new List<(Tensor X, Tensor Sigma, Tensor Denoised)>();
        Tensor Oracle(Tensor x, Tensor sigma)
        {
            var s = SamplingMath.AppendDims(sigma, x.dim());
            var denoised = (s2 * x + s.pow(2) * mu) / (s2 + s.pow(2));
            calls.Add((x.clone().DetachFromDisposeScope(), sigma.clone().DetachFromDisposeScope(), denoised.clone().DetachFromDisposeScope()));
            return denoised;
        }
        int draws = json.GetProperty("num_noise_draws").GetInt32();
        var noise = new ReplayNoise(Enumerable.Range(0, draws).Select(k => g[$"noise_{k}"]).ToList());
        var reported = new List<float>();
        // k-diffusion's convention, which ours follow: x is already at σ₀ (x_init = noise·σ₀).
        var x = g["x_init"];

        var result = sampler.Sample(Oracle, x, sigmas, noise, new SamplingOptions(s => reported.Add(s.Sigma)));

        Assert.Equal(draws, noise.Consumed);
        Assert.Equal(json.GetProperty("num_denoiser_calls").GetInt32(), calls.Count);
        Assert.Equal(json.GetProperty("callback").EnumerateArray().Select(c => (float)c.GetProperty("sigma").GetDouble()), reported);
        double worst = 0;
        string worstName = "";
        void Check(string key, Tensor actual)
        {
            var err = GoldenAssert.Close(g[key], actual, Tolerance, $"{name} {key}");
            if (err >= worst) (worst, worstName) = (err, key);
        }
        for (int k = 0; k < calls.Count; k++)
        {
            Check($"call_{k}_x", calls[k].X);
            Check($"call_{k}_sigma", calls[k].Sigma);
            Check($"call_{k}_denoised", calls[k].Denoised);
        }
        Check("out", result);
        foreach (var t in calls.SelectMany(c => new[] { c.X, c.Sigma, c.Denoised })) t.Dispose();
        var (impl, function) = KDiffusionGoldenFactory.Producer(producer);
        output.WriteLine($"{name}: '{KDiffusionGoldenFactory.RegistryName(impl, function)}' = {sampler}, {calls.Count} calls, {draws} draws, worst scaled error {worst:E2} ({worstName}), tolerance {Tolerance:E0}");
    }
}
