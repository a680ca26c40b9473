using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Diffusion.Scaling;
using Pipeline.Diffusion.Training;

namespace Pipeline.Components;

/// <summary>sgm's set, registered under the names users know from k-diffusion/ComfyUI and sgm.</summary>
public static class BuiltInComponents
{
    public const string Origin = "built-in";

    public static void Register(IComponentRegistrar r)
    {
        r.Register(ComponentKind.Sampler, "euler", new EulerEDMSampler(), "Euler (sgm EulerEDMSampler; churn via s_churn)");
        r.Register(ComponentKind.Sampler, "heun", new HeunEDMSampler(), "Heun 2nd order (sgm HeunEDMSampler; Karras Alg. 2)");
        r.Register(ComponentKind.Sampler, "euler_ancestral", new EulerAncestralSampler(), "ancestral Euler (eta, s_noise)");
        r.Register(ComponentKind.Sampler, "dpmpp_2s_ancestral", new DPMPP2SAncestralSampler(), "DPM-Solver++(2S) ancestral");
        r.Register(ComponentKind.Sampler, "dpmpp_2m", new DPMPP2MSampler(), "DPM-Solver++(2M)");
        r.Register(ComponentKind.Sampler, "lms", new LinearMultistepSampler(), "linear multistep, order 4");

        var legacy = new LegacyDDPMDiscretization();
        r.Register(ComponentKind.Discretization, "legacy_ddpm", legacy, "SD/SDXL DDPM schedule (scaled linear betas, 1000 steps)");
        r.Register(ComponentKind.Discretization, "edm", new EDMDiscretization(), "Karras et al. (2022) rho-schedule, sigma 0.002..80, rho 7");
        var table = legacy.AscendingTable();
        r.Register(ComponentKind.Discretization, "karras", new EDMDiscretization(table[0], table[^1]),
            "Karras rho-schedule over the SDXL sigma range (0.0292..14.6146), rho 7");
        r.Register(ComponentKind.Discretization, "trailing", new TrailingDiscretization(legacy),
            "diffusers' trailing spacing on the SDXL DDPM table (starts at t = 999; SDXL-Lightning, Hyper-SD)");

        r.Register(ComponentKind.DenoiserScaling, "eps", new EpsScaling(), "epsilon prediction (SDXL)");
        r.Register(ComponentKind.DenoiserScaling, "v", new VScaling(), "v prediction");
        r.Register(ComponentKind.DenoiserScaling, "edm", new EDMScaling(), "EDM preconditioning, sigma_data 0.5");
        r.Register(ComponentKind.DenoiserScaling, "v_edm_cnoise", new VScalingWithEDMcNoise(), "v prediction with c_noise = ln(sigma)/4");

        r.Register(ComponentKind.Guider, "identity", new IdentityGuider(), "no guidance");
        r.Register(ComponentKind.Guider, "vanilla_cfg", new VanillaCFG(5.0), "classifier-free guidance [uncond; cond], scale 5");

        r.Register(ComponentKind.LossWeighting, "unit", new UnitWeighting(), "lambda = 1");
        r.Register(ComponentKind.LossWeighting, "edm", new EDMWeighting(), "EDM weighting, sigma_data 0.5");
        r.Register(ComponentKind.LossWeighting, "v", new VWeighting(), "v weighting");
        r.Register(ComponentKind.LossWeighting, "eps", new EpsWeighting(), "epsilon weighting sigma^-2");
        r.Register(ComponentKind.LossWeighting, "min-snr", new MinSnrWeighting(), "min-SNR-5 (Hang et al. 2023): min(sigma^-2, 5)");

        r.Register(ComponentKind.SigmaSampler, "discrete", new DiscreteSampling(legacy), "uniform over the 1000 DDPM noise scales");
        r.Register(ComponentKind.SigmaSampler, "edm", new EDMSampling(), "log-normal, P_mean -1.2, P_std 1.2");
    }

    internal static ComponentRegistry RegisterInto(ComponentRegistry start, string origin)
    {
        var builder = new ComponentRegistry.Builder(start, origin);
        Register(builder);
        return builder.Current;
    }
}
