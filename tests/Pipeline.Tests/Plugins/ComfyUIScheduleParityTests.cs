using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Pipeline.Diffusion.Discretization;
using Pipeline.Tests.Goldens;
using Schedules.ComfyUI;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Pipeline.Tests.Plugins;

/// <summary>
/// ComfyUI's model-sampling table and schedulers and k-diffusion's schedule functions against the k-diffusion
/// goldens: 1e-6 relative (vp: 5e-4, see <see cref="VPSchedule"/>), lengths and integer tensors exact.
/// </summary>
public class ComfyUIScheduleParityTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-6;

    static readonly Regex EntryName = new(@"^(?<name>.+)_n(?<n>\d+)$", RegexOptions.CultureInvariant);

    static (string Name, int Steps) Entry(string key)
    {
        var m = EntryName.Match(key);
        Assert.True(m.Success, $"entry '{key}' is not NAME_nSTEPS");
        return (m.Groups["name"].Value, int.Parse(m.Groups["n"].Value));
    }

    static Tensor T(IEnumerable<float> values) => tensor(values.ToArray());

    [Fact]
    public void Model_sampling_discrete_matches_ComfyUI()
    {
        using var g = GoldenSet.KDiffusion.Open("model_sampling_discrete");
        using var scope = NewDisposeScope();
        var ms = ModelSamplingDiscrete.Sdxl;
        double worst = 0;
        void Rel(string key, Tensor actual) => worst = Math.Max(worst, GoldenAssert.RelativeClose(g[key], actual, Tolerance, key));

        Rel("sigmas", T(ms.Sigmas));
        Rel("log_sigmas", T(ms.LogSigmas));
        Rel("sigma_min", T(new[] { ms.SigmaMin }));
        Rel("sigma_max", T(new[] { ms.SigmaMax }));
        var probes = g["timestep_probe_sigma"].data<float>().ToArray();
        GoldenAssert.Exact(g["timestep_of_sigma"], tensor(probes.Select(ms.Timestep).ToArray()), "timestep_of_sigma");
        Rel("sigma_of_t", T(g["sigma_probe_t"].data<float>().ToArray().Select(ms.Sigma)));
        // The probes were Python floats (0.1, 0.9, 0.999, …) stored as float32: recover them from the shortest decimal.
        var percents = g["percent_probe"].data<float>().ToArray().Select(p => double.Parse(p.ToString("R", CultureInfo.InvariantCulture), CultureInfo.InvariantCulture));
        Rel("percent_to_sigma", T(percents.Select(p => (float)ms.PercentToSigma(p))));
        int exactTable = ms.Sigmas.Zip(g["sigmas"].data<float>().ToArray()).Count(p => p.First == p.Second);
        output.WriteLine($"model_sampling_discrete: {exactTable}/1000 table entries bit-equal, timesteps exact, worst relative error {worst:E2} (tolerance {Tolerance:E0})");
    }

    [Fact]
    public void KDiffusion_schedule_functions_match()
    {
        using var g = GoldenSet.KDiffusion.Open("schedules_kdiffusion");
        using var scope = NewDisposeScope();
        var entries = g.Json.GetProperty("entries").EnumerateObject().ToList();
        Assert.NotEmpty(entries);
        var worst = new Dictionary<string, double>();
        foreach (var entry in entries)
        {
            var (name, n) = Entry(entry.Name);
            var call = entry.Value.GetProperty("call").GetString()!;
            var (sigmaMin, sigmaMax) = (0.0292, 14.6146);
            if (name != "vp") Assert.Contains("0.0292, 14.6146", call);
            IDiscretization schedule = name switch
            {
                "karras" => new EDMDiscretization(sigmaMin, sigmaMax, 7.0),
                "exponential" => new ExponentialSchedule(sigmaMin, sigmaMax),
                "polyexponential_rho1" => new PolyExponentialSchedule(sigmaMin, sigmaMax, 1.0),
                "polyexponential_rho2" => new PolyExponentialSchedule(sigmaMin, sigmaMax, 2.0),
                "vp" => new VPSchedule(),
                _ => throw new NotSupportedException($"schedules_kdiffusion entry '{entry.Name}' has no counterpart"),
            };
            var sigmas = schedule.GetSigmas(n);
            Assert.Equal(entry.Value.GetProperty("length").GetInt32(), sigmas.Count);
            double tolerance = name == "vp" ? 5e-4 : Tolerance;
            var err = GoldenAssert.RelativeClose(g[entry.Name], sigmas.ToTensor(), tolerance, entry.Name);
            worst[name] = Math.Max(worst.GetValueOrDefault(name), err);
        }
        output.WriteLine("schedules_kdiffusion worst relative error: " + string.Join(", ", worst.Select(p => $"{p.Key} {p.Value:E2}")));
    }

    [Fact]
    public void ComfyUI_schedulers_match()
    {
        using var g = GoldenSet.KDiffusion.Open("schedules_comfyui");
        using var scope = NewDisposeScope();
        var registry = PluginRegistry.Snapshot;
        var entries = g.Json.GetProperty("entries").EnumerateObject().ToList();
        Assert.NotEmpty(entries);
        var worst = new Dictionary<string, double>();
        void Record(string name, double err) => worst[name] = Math.Max(worst.GetValueOrDefault(name), err);
        foreach (var entry in entries)
        {
            var (name, n) = Entry(entry.Name);
            var schedule = registry.Discretization(name);
            var sigmas = schedule.GetSigmas(n);
            Assert.True(entry.Value.GetProperty("length").GetInt32() == sigmas.Count,
                $"{entry.Name}: length {sigmas.Count}, expected {entry.Value.GetProperty("length").GetInt32()}");
            Record(name, GoldenAssert.RelativeClose(g[entry.Name], sigmas.ToTensor(), Tolerance, entry.Name));
            Assert.Equal(sigmas.ToArray()[..^1], schedule.GetSigmas(n, appendZero: false).ToArray());

            if (entry.Value.TryGetProperty("timesteps_tensor", out var ts))
            {
                // normal (not sgm_uniform) first calls sigma(timestep(σ_min)) to test for a zero-terminal-SNR table; the
                // recording lists that call first.
                var normal = Assert.IsType<NormalScheduler>(schedule);
                var timesteps = normal.Sgm ? normal.Timesteps(n) : normal.Timesteps(n).Prepend(normal.Model.Timestep(normal.Model.SigmaMin));
                Record(name, GoldenAssert.RelativeClose(g[ts.GetString()!], T(timesteps), Tolerance, ts.GetString()!));
            }
            if (entry.Value.TryGetProperty("discard_penultimate", out var dp))
            {
                var discarded = new DiscardPenultimate(schedule).GetSigmas(n);
                using var expected = g[dp.GetString()!];
                Assert.Equal(expected.shape[0], discarded.Count);
                Record(name, GoldenAssert.RelativeClose(expected, discarded.ToTensor(), Tolerance, dp.GetString()!));
            }
            if (entry.Value.TryGetProperty("beta_ppf", out var ppf)) CheckBetaQuantiles(entry.Name, n, ppf, Assert.IsType<BetaScheduler>(schedule));
        }
        output.WriteLine($"schedules_comfyui: {entries.Count} entries, worst relative error: " + string.Join(", ", worst.Select(p => $"{p.Key} {p.Value:E2}")));
    }

    static void CheckBetaQuantiles(string key, int n, JsonElement ppf, BetaScheduler beta)
    {
        var args = ppf.GetProperty("args").EnumerateArray().Select(a => a.GetDouble()).ToArray();
        Assert.Equal(new[] { beta.Alpha, beta.Beta }, args);
        var q = ppf.GetProperty("q").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(q, BetaScheduler.Quantiles(n));
        var expected = ppf.GetProperty("ppf").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        for (int k = 0; k < q.Length; k++)
        {
            double actual = IncompleteBeta.Inverse(q[k], beta.Alpha, beta.Beta);
            Assert.True(Math.Abs(actual - expected[k]) <= 1e-12, $"{key}: ppf({q[k]}) = {actual:R}, scipy {expected[k]:R}");
        }
        Assert.Equal(expected.Select(p => (long)Math.Round(p * 999, MidpointRounding.ToEven)), beta.Indices(n));
    }
}
