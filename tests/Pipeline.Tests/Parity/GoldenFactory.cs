using System.Text.Json;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;

namespace Pipeline.Tests.Parity;

/// <summary>Builds our components from the class names and parameters a golden case's JSON records.</summary>
static class GoldenFactory
{
    static string ClassName(string target) => target[(target.LastIndexOf('.') + 1)..];

    static double Param(JsonElement? p, string name, double fallback) =>
        p is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(name, out var v) ? v.GetDouble() : fallback;

    public static IDiscretization Discretization(JsonElement config)
    {
        var target = ClassName(config.GetProperty("target").GetString()!);
        JsonElement? p = config.TryGetProperty("params", out var pp) ? pp : null;
        return target switch
        {
            "LegacyDDPMDiscretization" => new LegacyDDPMDiscretization(
                Param(p, "linear_start", 0.00085), Param(p, "linear_end", 0.012), (int)Param(p, "num_timesteps", 1000)),
            "EDMDiscretization" => new EDMDiscretization(Param(p, "sigma_min", 0.002), Param(p, "sigma_max", 80), Param(p, "rho", 7)),
            _ => throw new NotSupportedException($"golden discretization '{target}' has no counterpart"),
        };
    }

    public static IGuider Guider(JsonElement config)
    {
        var target = ClassName(config.GetProperty("target").GetString()!);
        JsonElement? p = config.TryGetProperty("params", out var pp) ? pp : null;
        return target switch
        {
            "IdentityGuider" => new IdentityGuider(),
            "VanillaCFG" => new VanillaCFG(Param(p, "scale", double.NaN)),
            _ => throw new NotSupportedException($"golden guider '{target}' has no counterpart"),
        };
    }

    public static ISampler Sampler(string producer, JsonElement kwargs)
    {
        JsonElement? k = kwargs.ValueKind == JsonValueKind.Object ? kwargs : null;
        return ClassName(producer) switch
        {
            "EulerEDMSampler" => new EulerEDMSampler(Param(k, "s_churn", 0), Param(k, "s_tmin", 0), Param(k, "s_tmax", double.PositiveInfinity), Param(k, "s_noise", 1)),
            "HeunEDMSampler" => new HeunEDMSampler(Param(k, "s_churn", 0), Param(k, "s_tmin", 0), Param(k, "s_tmax", double.PositiveInfinity), Param(k, "s_noise", 1)),
            "EulerAncestralSampler" => new EulerAncestralSampler(Param(k, "eta", 1), Param(k, "s_noise", 1)),
            "DPMPP2SAncestralSampler" => new DPMPP2SAncestralSampler(Param(k, "eta", 1), Param(k, "s_noise", 1)),
            "DPMPP2MSampler" => new DPMPP2MSampler(),
            "LinearMultistepSampler" => new LinearMultistepSampler((int)Param(k, "order", 4)),
            var other => throw new NotSupportedException($"golden sampler '{other}' has no counterpart"),
        };
    }
}
