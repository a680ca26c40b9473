using Pipeline.Diffusion;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Cond = Pipeline.Conditioning.Conditioning;

namespace Pipeline.Tests.Parity;

/// <summary>Every <c>sampler_*</c> case of the goldens set, replaying the recorded noise through our samplers.</summary>
public class SamplerParityTests(ITestOutputHelper output)
{
    public static IEnumerable<object[]> Cases => GoldenSet.Sgm.CasesStartingWith("sampler_");

    [Fact]
    public void The_golden_set_has_sampler_cases() => Assert.NotEmpty(Cases);

    [Theory]
    [MemberData(nameof(Cases))]
    public void Sampler_matches_sgm(string name)
    {
        const double tolerance = 1e-5;
        using var g = GoldenSet.Sgm.Open(name);
        using var scope = NewDisposeScope();
        var json = g.Json;
        var discretization = GoldenFactory.Discretization(json.GetProperty("discretization"));
        var guider = GoldenFactory.Guider(json.GetProperty("guider"));
        var sampler = GoldenFactory.Sampler(json.GetProperty("producer").GetString()!, json.GetProperty("sampler_kwargs"));
        double s2 = json.GetProperty("s2").GetDouble();

        var sigmas = discretization.GetSigmas(json.GetProperty("num_steps").GetInt32());
        double worst = GoldenAssert.Close(g["sigmas"], sigmas.ToTensor(), 1e-6, "sigmas");

        // sgm scales its unit-variance x_init by √(1 + σ₀²) inside the sampler; ours take x already at σ₀ (the Noise stage scales).
        var xInit = SamplingMath.ScaleInitialNoise(g["x_init"], sigmas);
        var xInitCopy = xInit.clone();
        worst = Math.Max(worst, GoldenAssert.Close(g["x_scaled"], xInit, tolerance, "x_scaled"));

        var cond = new Cond(Concat: g["mu"]);
        Cond? uncond = g.Has("mu_uncond") ? new Cond(Concat: g["mu_uncond"]) : null;
        var calls = new List<(Tensor X, Tensor Sigma, Tensor Denoised)>();
        Tensor Oracle(Tensor x, Tensor sigma, Cond c)
        {
            var s = SamplingMath.AppendDims(sigma, x.dim());
            var denoised = (s2 * x + s.pow(2) * c.Concat!) / (s2 + s.pow(2));
            calls.Add((x.clone().DetachFromDisposeScope(), sigma.clone().DetachFromDisposeScope(), denoised.clone().DetachFromDisposeScope()));
            return denoised;
        }
        int draws = json.GetProperty("num_noise_draws").GetInt32();
        var noise = new ReplayNoise(Enumerable.Range(0, draws).Select(k => g[$"noise_{k}"]).ToList());
        var steps = new List<Tensor>();
        var options = new SamplingOptions(OnStep: s => steps.Add(s.X.clone().DetachFromDisposeScope()));

        var result = sampler.Sample(Guided.Compose(guider, Oracle, cond, uncond), xInit, sigmas, noise, options);

        Assert.True(xInit.eq(xInitCopy).all().item<bool>(), "the sampler mutated the caller's x");
        Assert.Equal(draws, noise.Consumed);
        Assert.Equal(json.GetProperty("num_denoiser_calls").GetInt32(), calls.Count);
        for (int k = 0; k < calls.Count; k++)
        {
            worst = Math.Max(worst, GoldenAssert.Close(g[$"call_{k}_x"], calls[k].X, tolerance, $"call_{k}_x"));
            worst = Math.Max(worst, GoldenAssert.Close(g[$"call_{k}_sigma"], calls[k].Sigma, tolerance, $"call_{k}_sigma"));
            worst = Math.Max(worst, GoldenAssert.Close(g[$"call_{k}_denoised"], calls[k].Denoised, tolerance, $"call_{k}_denoised"));
        }
        for (int k = 0; k < steps.Count; k++)
            if (g.Has($"step_{k}_x"))
                worst = Math.Max(worst, GoldenAssert.Close(g[$"step_{k}_x"], steps[k], tolerance, $"step_{k}_x"));
        worst = Math.Max(worst, GoldenAssert.Close(g["out"], result, tolerance, "out"));
        foreach (var t in calls.SelectMany(c => new[] { c.X, c.Sigma, c.Denoised }).Concat(steps)) t.Dispose();
        output.WriteLine($"{name}: {calls.Count} calls, {draws} draws, worst scaled error {worst:E2} (tolerance {tolerance:E0})");
    }
}

public class LinearMultistepCoefficientTests
{
    public static IEnumerable<object[]> Cases => GoldenSet.Sgm.CasesStartingWith("sampler_lms");

    [Theory]
    [MemberData(nameof(Cases))]
    public void Coefficients_match_the_recorded_scipy_integrals(string name)
    {
        using var g = GoldenSet.Sgm.Open(name);
        var sigmas = g["sigmas"].data<float>().ToArray();
        var recorded = g.Json.GetProperty("lms_coefficients").EnumerateArray().ToList();
        Assert.NotEmpty(recorded);
        foreach (var c in recorded)
        {
            double expected = c.GetProperty("coeff").GetDouble();
            double actual = LinearMultistepCoefficients.Coefficient(c.GetProperty("order").GetInt32(), sigmas,
                c.GetProperty("step").GetInt32(), c.GetProperty("j").GetInt32());
            Assert.True(Math.Abs(actual - expected) <= 1e-6 * Math.Max(1, Math.Abs(expected)),
                $"step {c.GetProperty("step")}, j {c.GetProperty("j")}: {actual} vs {expected}");
        }
    }
}
