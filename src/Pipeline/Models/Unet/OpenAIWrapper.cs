using Pipeline.Diffusion;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Models.Unet;

/// <summary>
/// sgm <c>OpenAIWrapper</c>: the network the denoiser calls. <c>concat</c> (if any) is appended to the input along
/// channels, <c>crossattn</c> becomes the context and <c>vector</c> the label-embedding input. The UNet sits in
/// <c>diffusion_model</c>, so the wrapper's state-dict keys are those of the checkpoints under <c>model.</c>.
/// </summary>
public sealed class OpenAIWrapper : nn.Module<Tensor, Tensor, Conditioning.Conditioning, Tensor>, IDiffusionNetwork
{
    private readonly UNetModel diffusion_model;

    public OpenAIWrapper(UNetModel diffusionModel) : base(nameof(OpenAIWrapper))
    {
        diffusion_model = diffusionModel ?? throw new ArgumentNullException(nameof(diffusionModel));
        RegisterComponents();
    }

    public UNetModel DiffusionModel => diffusion_model;

    public Tensor Forward(Tensor input, Tensor timesteps, Conditioning.Conditioning conditioning) => forward(input, timesteps, conditioning);

    public override Tensor forward(Tensor input, Tensor timesteps, Conditioning.Conditioning conditioning)
    {
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(conditioning);
        using var scope = NewDisposeScope();
        var x = conditioning.Concat is { } concat ? cat(new[] { input, concat.to(input.dtype) }, 1) : input;
        return diffusion_model.Forward(x, timesteps, conditioning.CrossAttn, conditioning.Vector).MoveToOuterDisposeScope();
    }
}
