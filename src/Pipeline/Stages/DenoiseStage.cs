using Pipeline.Diffusion;
using Pipeline.Diffusion.Guidance;
using Pipeline.Diffusion.Sampling;
using Pipeline.Models.Bundles;
using static TorchSharp.torch;

namespace Pipeline.Stages;

/// <summary>
/// Denoise: the sampler loop over <c>sigmas</c> with guidance, under no-grad. <c>x</c> is the latent at
/// sigmas[0] (see <see cref="NoiseStage"/>); the result is the latent at the schedule's last σ (a clean latent when the
/// schedule ends with 0, a noisy one at a handoff boundary otherwise). <c>wrap</c> (optional) wraps the
/// guided denoiser before the sampler sees it (inpainting: <see cref="InpaintStage.Wrap"/>).
/// </summary>
public static class DenoiseStage
{
    public static Tensor Run(SdxlModel model, Tensor x, Sigmas sigmas, ConditioningPair conditioning, ISampler sampler, IGuider guider,
        INoiseSource noise, SamplingOptions? options = null, Func<DenoiseFunction, DenoiseFunction>? wrap = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(conditioning);
        ArgumentNullException.ThrowIfNull(sampler);
        ArgumentNullException.ThrowIfNull(guider);
        if (conditioning.BatchSize != x.shape[0])
            throw new ArgumentException($"the conditioning has {conditioning.BatchSize} rows but the latent batch has {x.shape[0]}");
        using var noGrad = no_grad();
        var denoise = Guided.Compose(guider, model.Denoiser, model.Network, conditioning.Cond, conditioning.Uncond);
        return sampler.Sample(wrap is null ? denoise : wrap(denoise), x, sigmas, noise, options);
    }
}
