using System.Text.Json;
using Pipeline.Components;
using Pipeline.Diffusion.Sampling;
using Samplers.KDiffusion;

namespace Pipeline.Tests.Plugins;

/// <summary>
/// Picks the registered sampler that reproduces a k-diffusion/ComfyUI golden case and applies the case's keyword
/// arguments to it. Names not in the registry fail (no fallback), and so do keyword arguments we do not map.
/// </summary>
static class KDiffusionGoldenFactory
{
    public enum Implementation { KDiffusion, ComfyUI }

    /// <summary>(implementation, k-diffusion function name without <c>sample_</c>) from a producer such as
    /// <c>comfy.k_diffusion.sampling.sample_dpm_2</c>.</summary>
    public static (Implementation Impl, string Function) Producer(string producer)
    {
        var impl = producer.StartsWith("comfy.", StringComparison.Ordinal) ? Implementation.ComfyUI
            : producer.StartsWith("k_diffusion.", StringComparison.Ordinal) ? Implementation.KDiffusion
            : throw new NotSupportedException($"unknown producer '{producer}'");
        var function = producer[(producer.LastIndexOf('.') + 1)..];
        if (!function.StartsWith("sample_", StringComparison.Ordinal)) throw new NotSupportedException($"producer '{producer}' is not a sample_* function");
        return (impl, function["sample_".Length..]);
    }

    /// <summary>
    /// The registry name for a function: the k-diffusion name itself, except where a built-in (sgm) sampler's noise
    /// use or last step differs from the implementation that produced the case.
    /// </summary>
    public static string RegistryName(Implementation impl, string function) => (impl, function) switch
    {
        (Implementation.KDiffusion, "euler") => "euler_kdiffusion",
        (Implementation.KDiffusion, "heun") => "heun_kdiffusion",
        (_, "euler_ancestral") => "euler_ancestral_kdiffusion",
        (_, "dpmpp_2s_ancestral") => "dpmpp_2s_ancestral_kdiffusion",
        (Implementation.ComfyUI, "lms") => "lms_comfyui",
        _ => function,
    };

    public static ISampler Sampler(ComponentRegistry registry, string producer, JsonElement kwargs, JsonElement defaultsInEffect)
    {
        var (impl, function) = Producer(producer);
        var sampler = registry.Sampler(RegistryName(impl, function));
        // The fork draws churn noise only when it is used; k-diffusion on every step.
        if (impl == Implementation.ComfyUI && sampler is DPM2Sampler dpm2) sampler = dpm2 with { DrawNoiseEveryStep = false };
        if (defaultsInEffect.ValueKind == JsonValueKind.Object && defaultsInEffect.EnumerateObject().Any())
        {
            var withDefaults = Apply(sampler, defaultsInEffect);
            if (!withDefaults.Equals(sampler)) throw new InvalidOperationException($"our defaults {sampler} differ from the reference's {withDefaults}");
        }
        return Apply(sampler, kwargs);
    }

    static ISampler Apply(ISampler sampler, JsonElement kwargs)
    {
        var k = new Kwargs(kwargs);
        ISampler result = sampler switch
        {
            EulerEDMSampler e => e with { SChurn = k.D("s_churn", e.SChurn), STmin = k.D("s_tmin", e.STmin), STmax = k.D("s_tmax", e.STmax), SNoise = k.D("s_noise", e.SNoise) },
            HeunEDMSampler e => e with { SChurn = k.D("s_churn", e.SChurn), STmin = k.D("s_tmin", e.STmin), STmax = k.D("s_tmax", e.STmax), SNoise = k.D("s_noise", e.SNoise) },
            DPM2Sampler e => e with { SChurn = k.D("s_churn", e.SChurn), STmin = k.D("s_tmin", e.STmin), STmax = k.D("s_tmax", e.STmax), SNoise = k.D("s_noise", e.SNoise) },
            DPM2AncestralSampler a => a with { Eta = k.D("eta", a.Eta), SNoise = k.D("s_noise", a.SNoise) },
            EulerAncestralSampler a => a with { Eta = k.D("eta", a.Eta), SNoise = k.D("s_noise", a.SNoise) },
            DPMPP2SAncestralSampler a => a with { Eta = k.D("eta", a.Eta), SNoise = k.D("s_noise", a.SNoise) },
            DPMPPSDESampler a => a with { Eta = k.D("eta", a.Eta), SNoise = k.D("s_noise", a.SNoise), R = k.D("r", a.R) },
            DPMPP2MSDESampler a => a with
            {
                Eta = k.D("eta", a.Eta), SNoise = k.D("s_noise", a.SNoise),
                Solver = k.S("solver_type") switch
                {
                    null => a.Solver, "midpoint" => DPMPP2MSDESolver.Midpoint, "heun" => DPMPP2MSDESolver.Heun,
                    var s => throw new NotSupportedException($"solver_type '{s}'"),
                },
            },
            DPMPP3MSDESampler a => a with { Eta = k.D("eta", a.Eta), SNoise = k.D("s_noise", a.SNoise) },
            LinearMultistepSampler l => l with { Order = k.I("order", l.Order) },
            IPNDMSampler p => p with { MaxOrder = k.I("max_order", p.MaxOrder) },
            DPMPP2MSampler or LCMSampler or DDPMSampler => sampler,
            _ => throw new NotSupportedException($"no keyword mapping for {sampler.GetType().Name}"),
        };
        k.AssertAllUsed(sampler);
        return result;
    }

    sealed class Kwargs(JsonElement json)
    {
        readonly HashSet<string> _used = new();

        JsonElement? Get(string name)
        {
            if (json.ValueKind != JsonValueKind.Object || !json.TryGetProperty(name, out var v)) return null;
            _used.Add(name);
            return v;
        }

        public double D(string name, double fallback) => Get(name) switch
        {
            null => fallback,
            { ValueKind: JsonValueKind.String } s => s.GetString() switch
            {
                "inf" => double.PositiveInfinity, "-inf" => double.NegativeInfinity,
                var other => throw new NotSupportedException($"{name} = '{other}'"),
            },
            var v => v.Value.GetDouble(),
        };

        public int I(string name, int fallback) => Get(name) is { } v ? v.GetInt32() : fallback;
        public string? S(string name) => Get(name)?.GetString();

        public void AssertAllUsed(ISampler sampler)
        {
            if (json.ValueKind != JsonValueKind.Object) return;
            var unused = json.EnumerateObject().Select(p => p.Name).Where(n => !_used.Contains(n)).ToList();
            if (unused.Count > 0) throw new NotSupportedException($"{sampler.GetType().Name} has no knob for {string.Join(", ", unused)}");
        }
    }
}
