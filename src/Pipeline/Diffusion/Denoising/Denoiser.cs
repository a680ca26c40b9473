using Pipeline.Diffusion.Scaling;
using static TorchSharp.torch;
using Pipeline.Runtime;

namespace Pipeline.Diffusion.Denoising;

/// <summary>sgm <c>Denoiser</c>: continuous σ, no quantization.</summary>
public sealed record Denoiser(IDenoiserScaling Scaling) : IDenoiser
{
    public Tensor QuantizeSigma(Tensor sigma) => sigma.alias();

    public Tensor Denoise(IDiffusionNetwork network, Tensor x, Tensor sigma, Conditioning.Conditioning conditioning) =>
        DenoiserMath.Apply(network, x, sigma, conditioning, Scaling, s => s.alias(), c => c);
}

static class DenoiserMath
{
    internal static Tensor Apply(IDiffusionNetwork network, Tensor x, Tensor sigma, Conditioning.Conditioning conditioning,
        IDenoiserScaling scaling, Func<Tensor, Tensor> quantizeSigma, Func<Tensor, Tensor> quantizeCNoise)
    {
        if (sigma.dim() != 1 || sigma.shape[0] != x.shape[0])
            throw new ArgumentException($"sigma must be [B] with B = {x.shape[0]}, got [{string.Join(", ", sigma.shape)}]");
        using var scope = NewDisposeScope();
        var q = quantizeSigma(sigma);
        var s = SamplingMath.AppendDims(q, x.dim());
        var (cSkip, cOut, cIn, cNoise) = scaling.Get(s);
        var timesteps = quantizeCNoise(cNoise.reshape(q.shape));
        var output = network.Forward(x * cIn, timesteps, conditioning);
        return (output * cOut).Plus(x * cSkip).MoveToOuterDisposeScope();
    }
}
