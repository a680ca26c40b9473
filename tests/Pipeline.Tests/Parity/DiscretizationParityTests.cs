using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Denoising;
using Pipeline.Diffusion.Scaling;
using Pipeline.Diffusion.Training;
using Pipeline.Tests.Goldens;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Parity;

public class DiscretizationParityTests(ITestOutputHelper output)
{
    static Tensor T(float[] v) => tensor(v);

    [Fact]
    public void Legacy_and_EDM_discretizations_match_sgm()
    {
        using var g = GoldenSet.Sgm.Open("discretization");
        var legacy = new LegacyDDPMDiscretization();
        double worst = 0;
        using (var acp = g["legacy_alphas_cumprod"])
        using (var ours = tensor(legacy.AlphasCumprod.Select(a => (float)a).ToArray()))
            worst = Math.Max(worst, GoldenAssert.RelativeClose(acp, ours, 1e-6, "legacy_alphas_cumprod"));
        var ns = g.Json.GetProperty("legacy_n").EnumerateArray().Select(e => e.GetInt32()).ToList();
        Assert.NotEmpty(ns);
        foreach (int n in ns)
        {
            void Check(string key, float[] values)
            {
                if (!g.Has(key)) return;
                using var expected = g[key];
                using var actual = T(values);
                worst = Math.Max(worst, GoldenAssert.RelativeClose(expected, actual, 1e-6, key));
            }
            Check($"legacy_n{n}", legacy.GetSigmas(n, appendZero: false).ToArray());
            Check($"legacy_n{n}_no_zero", legacy.GetSigmas(n, appendZero: false).ToArray());
            Check($"legacy_n{n}_append_zero", legacy.GetSigmas(n).ToArray());
            Check($"legacy_n{n}_flip", legacy.GetSigmas(n, appendZero: false).Reverse().ToArray());
            if (g.Has($"legacy_n{n}_timesteps"))
            {
                using var expected = g[$"legacy_n{n}_timesteps"];
                using var actual = tensor(legacy.Timesteps(n).Select(t => (long)t).ToArray());
                GoldenAssert.Exact(expected, actual, $"legacy_n{n}_timesteps");
            }
        }
        // EDM sigmas come from float32 torch.linspace + pow; libtorch 2.10 and the reference's 1.13 round an
        // occasional ramp element differently (1 ulp, amplified by the 7th power to ~1.5e-6 relative in one
        // sigma), so EDM uses the README's metric max|a-b|/max(1,M).
        double worstEdm = 0;
        var p = g.Json.GetProperty("edm_params");
        var edm = new EDMDiscretization(p.GetProperty("sigma_min").GetDouble(), p.GetProperty("sigma_max").GetDouble(), p.GetProperty("rho").GetDouble());
        foreach (int n in g.Json.GetProperty("edm_n").EnumerateArray().Select(e => e.GetInt32()))
        {
            using (var e1 = g[$"edm_n{n}"]) using (var a1 = T(edm.GetSigmas(n, appendZero: false).ToArray()))
                worstEdm = Math.Max(worstEdm, GoldenAssert.Close(e1, a1, 1e-6, $"edm_n{n}"));
            using (var e2 = g[$"edm_n{n}_append_zero"]) using (var a2 = T(edm.GetSigmas(n).ToArray()))
                worstEdm = Math.Max(worstEdm, GoldenAssert.Close(e2, a2, 1e-6, $"edm_n{n}_append_zero"));
        }
        output.WriteLine($"discretization: legacy worst relative error {worst:E2}, EDM worst scaled error {worstEdm:E2} (tolerance 1e-6)");
    }

    [Fact]
    public void Discrete_denoiser_quantization_matches_sgm_exactly()
    {
        using var g = GoldenSet.Sgm.Open("discrete_denoiser");
        var denoiser = new DiscreteDenoiser(new EpsScaling(), new LegacyDDPMDiscretization());
        using var scope = NewDisposeScope();
        var table = tensor(denoiser.Table.ToArray());
        double worst = GoldenAssert.RelativeClose(g["denoiser_sigmas"], table, 1e-6, "denoiser_sigmas");
        var sigmaIn = g["sigma_in"];
        GoldenAssert.Exact(g["sigma_to_idx"], denoiser.SigmaToIdx(sigmaIn), "sigma_to_idx");
        worst = Math.Max(worst, GoldenAssert.RelativeClose(g["idx_to_sigma"], denoiser.IdxToSigma(denoiser.SigmaToIdx(sigmaIn)), 1e-6, "idx_to_sigma"));
        worst = Math.Max(worst, GoldenAssert.RelativeClose(g["possibly_quantize_sigma"], denoiser.QuantizeSigma(sigmaIn), 1e-6, "possibly_quantize_sigma"));
        GoldenAssert.Exact(g["possibly_quantize_c_noise"], denoiser.QuantizeCNoiseOf(sigmaIn), "possibly_quantize_c_noise");
        worst = Math.Max(worst, GoldenAssert.RelativeClose(g["idx_probe_to_sigma"], denoiser.IdxToSigma(g["idx_probe"]), 1e-6, "idx_probe_to_sigma"));
        output.WriteLine($"discrete_denoiser: indices exact, worst relative error {worst:E2} (tolerance 1e-6)");
    }

    [Fact]
    public void Scalings_match_sgm()
    {
        using var g = GoldenSet.Sgm.Open("scalings");
        using var scope = NewDisposeScope();
        var sigma = g["sigma"];
        var cases = new (string Prefix, IDenoiserScaling Scaling)[]
        {
            ("eps", new EpsScaling()), ("v", new VScaling()), ("edm", new EDMScaling(0.5)), ("v_edm_cnoise", new VScalingWithEDMcNoise()),
        };
        double worst = 0;
        foreach (var (prefix, scaling) in cases)
        {
            var s = scaling.Get(sigma);
            foreach (var (name, t) in new[] { ("c_skip", s.CSkip), ("c_out", s.COut), ("c_in", s.CIn), ("c_noise", s.CNoise) })
                worst = Math.Max(worst, GoldenAssert.ScaledError(g[$"{prefix}_{name}"], t) is var e && e <= 1e-6 ? e
                    : throw new Xunit.Sdk.XunitException($"{prefix}_{name}: error {e:E3} > 1e-6"));
        }
        output.WriteLine($"scalings: worst error {worst:E2} (tolerance 1e-6)");
    }

    [Fact]
    public void Loss_weightings_match_sgm()
    {
        using var g = GoldenSet.Sgm.Open("loss_weightings");
        using var scope = NewDisposeScope();
        var sigma = g["sigma"];
        var cases = new (string Key, ILossWeighting W)[]
            { ("eps_weight", new EpsWeighting()), ("unit_weight", new UnitWeighting()), ("edm_weight", new EDMWeighting(0.5)), ("v_weight", new VWeighting()) };
        double worst = 0;
        foreach (var (key, w) in cases)
            worst = Math.Max(worst, GoldenAssert.RelativeClose(g[key], w.Weight(sigma), 1e-6, key));
        output.WriteLine($"loss_weightings: worst relative error {worst:E2} (tolerance 1e-6)");
    }
}
