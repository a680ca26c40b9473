using Pipeline.Conditioning;
using static TorchSharp.torch;

namespace Pipeline.Diffusion;

/// <summary>
/// The network a denoiser wraps (sgm's <c>OpenAIWrapper(UNetModel)</c>): (scaled input, c_noise, conditioning)
/// → raw output. <c>concat</c> is channel-concatenated to the input, <c>crossattn</c> becomes the context and
/// <c>vector</c> the class/ADM embedding input.
/// </summary>
public interface IDiffusionNetwork
{
    Tensor Forward(Tensor input, Tensor timesteps, Conditioning.Conditioning conditioning);
}
