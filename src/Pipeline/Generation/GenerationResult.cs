using Pipeline.Imaging;
using static TorchSharp.torch;

namespace Pipeline.Generation;

/// <summary>The images of a plan run with everything needed to reproduce and report them. Owns its tensors.</summary>
public sealed record GenerationResult(Tensor Images, Tensor Latents, IReadOnlyList<GenerationParameters> Parameters,
    int PromptTokensDropped, int NegativeTokensDropped) : IDisposable
{
    public void Dispose()
    {
        Images.Dispose();
        Latents.Dispose();
    }
}
