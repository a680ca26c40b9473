using Pipeline.Components;

namespace Schedules.ComfyUI;

/// <summary>
/// The plugin's entry point: ComfyUI's schedulers over the SDXL discrete ε model (<see cref="ModelSamplingDiscrete.Sdxl"/>)
/// and k-diffusion's exponential, polyexponential and vp schedules. <c>karras</c> is a built-in.
/// </summary>
public sealed class ComfyUISchedules : IPluginModule
{
    public string Name => "Schedules.ComfyUI";

    public void Register(IComponentRegistrar r)
    {
        var model = ModelSamplingDiscrete.Sdxl;
        r.Register(ComponentKind.Discretization, "simple", new SimpleScheduler(model), "ComfyUI simple: table entries in equal strides from the top");
        r.Register(ComponentKind.Discretization, "normal", new NormalScheduler(model), "ComfyUI normal: evenly spaced timesteps, log-interpolated table");
        r.Register(ComponentKind.Discretization, "sgm_uniform", new NormalScheduler(model, Sgm: true), "ComfyUI sgm_uniform: normal with sgm's timestep spacing");
        r.Register(ComponentKind.Discretization, "ddim_uniform", new DDIMUniformScheduler(model),
            "ComfyUI ddim_uniform: table entries in strides of T/N from index 1 (may give more than N steps)");
        r.Register(ComponentKind.Discretization, "beta", new BetaScheduler(model), "ComfyUI beta: Beta(0.6, 0.6) quantiles of the table (may give fewer steps)");
        r.Register(ComponentKind.Discretization, "linear_quadratic", new LinearQuadraticScheduler(model), "ComfyUI linear_quadratic (Mochi), threshold 0.025");
        r.Register(ComponentKind.Discretization, "kl_optimal", new KLOptimalScheduler(model.SigmaMin, model.SigmaMax), "KL-optimal (Align Your Steps) over the SDXL range");
        r.Register(ComponentKind.Discretization, "exponential", new ExponentialSchedule(model.SigmaMin, model.SigmaMax), "exponential in log sigma over the SDXL range");
        r.Register(ComponentKind.Discretization, "polyexponential", new PolyExponentialSchedule(model.SigmaMin, model.SigmaMax),
            "polyexponential in log sigma over the SDXL range, rho 1");
        r.Register(ComponentKind.Discretization, "vp", new VPSchedule(), "k-diffusion continuous VP schedule (beta_d 19.9, beta_min 0.1; sigma up to 151.6)");
    }
}
