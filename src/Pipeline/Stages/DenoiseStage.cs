using Pipeline.Diffusion;
using Pipeline.Diffusion.Denoising;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>Denoise: the sampler loop over a noise schedule with guidance, under no-grad.</summary>
public static class DenoiseStage
{
    /// <summary>CFG scale 1 is the conditional prediction alone: run it without the unconditional half.</summary>
    public static IGuider GuiderFor(double cfgScale) => cfgScale == 1.0 ? new IdentityGuider() : new VanillaCFG(cfgScale);

    public static Tensor Run(ISampler sampler, IGuider guider, IDenoiser denoiser, IDiffusionNetwork network, Tensor x, Sigmas sigmas,
        ConditioningPair conditioning, INoiseSource noise, SamplingOptions? options = null)
    {
        using var noGrad = no_grad();
        var denoise = Guided.Compose(guider, denoiser, network, conditioning.Cond, conditioning.Uncond);
        return sampler.Sample(denoise, x, sigmas, noise, options);
    }
}
