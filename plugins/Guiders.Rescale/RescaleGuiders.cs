using Pipeline.Components;

namespace Guiders.Rescale;

/// <summary>The plugin's entry point: CFG rescale under diffusers' name, in the paper's (v) and diffusers' (ε) form.</summary>
public sealed class RescaleGuiders : IPluginModule
{
    public string Name => "Guiders.Rescale";

    public void Register(IComponentRegistrar r)
    {
        r.Register(ComponentKind.Guider, "guidance_rescale", new RescaleCFG(),
            "CFG rescale (Lin et al. 2023) on v, as ComfyUI's RescaleCFG: scale 5, rescale 0.7");
        r.Register(ComponentKind.Guider, "guidance_rescale_eps", new RescaleCFG(Space: RescaleSpace.Epsilon),
            "CFG rescale (Lin et al. 2023) on epsilon, as diffusers' guidance_rescale: scale 5, rescale 0.7");
    }
}
