using Pipeline.Components;
using Pipeline.Diffusion.Sampling;

namespace Samplers.KDiffusion;

/// <summary>
/// The plugin's entry point: k-diffusion's samplers beyond sgm's set under their k-diffusion/ComfyUI names, the
/// ComfyUI-only <c>lcm</c>, <c>ddpm</c>, <c>ipndm</c> (and <c>ddim</c>, which ComfyUI defines as Euler), and the
/// k-diffusion/ComfyUI flavours of built-in samplers whose noise use or last step differ from sgm's (the built-in
/// records with the knob that differs: <c>DrawNoiseEveryStep</c>, <c>NoiseOnLastStep</c>, <c>LastStepReturnsDenoised</c>).
/// </summary>
public sealed class KDiffusionSamplers : IPluginModule
{
    public string Name => "Samplers.KDiffusion";

    public void Register(IComponentRegistrar r)
    {
        r.Register(ComponentKind.Sampler, "dpm_2", new DPM2Sampler(), "DPM-Solver-2 inspired midpoint steps, Karras churn (k-diffusion)");
        r.Register(ComponentKind.Sampler, "dpm_2_ancestral", new DPM2AncestralSampler(), "ancestral DPM-2 steps (eta, s_noise)");
        r.Register(ComponentKind.Sampler, "dpmpp_sde", new DPMPPSDESampler(), "DPM-Solver++ SDE, 2 calls per step (eta, s_noise, r)");
        r.Register(ComponentKind.Sampler, "dpmpp_2m_sde", new DPMPP2MSDESampler(), "DPM-Solver++(2M) SDE, midpoint solver (eta, s_noise)");
        r.Register(ComponentKind.Sampler, "dpmpp_2m_sde_heun", new DPMPP2MSDESampler(Solver: DPMPP2MSDESolver.Heun),
            "DPM-Solver++(2M) SDE, Heun solver (eta, s_noise)");
        r.Register(ComponentKind.Sampler, "dpmpp_3m_sde", new DPMPP3MSDESampler(), "DPM-Solver++(3M) SDE (eta, s_noise)");
        r.Register(ComponentKind.Sampler, "lcm", new LCMSampler(), "latent consistency model sampling (ComfyUI)");
        r.Register(ComponentKind.Sampler, "ddpm", new DDPMSampler(), "ancestral DDPM steps on the sigma schedule (ComfyUI)");
        r.Register(ComponentKind.Sampler, "ipndm", new IPNDMSampler(), "improved PNDM, Adams-Bashforth up to order 4 (ComfyUI)");
        r.Register(ComponentKind.Sampler, "ddim", new EulerEDMSampler(), "ComfyUI's ddim: deterministic DDIM, i.e. Euler in sigma");

        // k-diffusion's and ComfyUI's flavours of sgm's samplers: the same records with the knob that differs.
        r.Register(ComponentKind.Sampler, "euler_kdiffusion", new EulerEDMSampler(DrawNoiseEveryStep: true),
            "euler as k-diffusion: a noise draw every step (reproduces k-diffusion seeds with churn)");
        r.Register(ComponentKind.Sampler, "heun_kdiffusion", new HeunEDMSampler(DrawNoiseEveryStep: true),
            "heun as k-diffusion: a noise draw every step (reproduces k-diffusion seeds with churn)");
        r.Register(ComponentKind.Sampler, "euler_ancestral_kdiffusion", new EulerAncestralSampler(NoiseOnLastStep: false),
            "euler_ancestral as k-diffusion/ComfyUI: no draw on the last step");
        r.Register(ComponentKind.Sampler, "dpmpp_2s_ancestral_kdiffusion", new DPMPP2SAncestralSampler(NoiseOnLastStep: false),
            "dpmpp_2s_ancestral as k-diffusion/ComfyUI: no draw on the last step");
        r.Register(ComponentKind.Sampler, "lms_comfyui", new LinearMultistepSampler(LastStepReturnsDenoised: true),
            "lms as ComfyUI: returns the denoised estimate on the last step");
    }
}
