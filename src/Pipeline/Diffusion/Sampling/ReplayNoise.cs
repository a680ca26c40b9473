using static TorchSharp.torch;

namespace Pipeline.Diffusion.Sampling;

/// <summary>Hands out recorded draws in order (e.g. the noise the original code drew); fails loudly when exhausted or mis-shaped.</summary>
public sealed class ReplayNoise(IReadOnlyList<Tensor> draws) : INoiseSource
{
    int _next;

    public int Consumed => _next;

    public Tensor Next(Tensor like)
    {
        if (_next >= draws.Count)
            throw new InvalidOperationException($"the sampler asked for noise draw {_next + 1} but only {draws.Count} were recorded");
        var draw = draws[_next++];
        if (!draw.shape.SequenceEqual(like.shape))
            throw new InvalidOperationException($"recorded draw {_next - 1} has shape [{string.Join(", ", draw.shape)}], the sampler wants [{string.Join(", ", like.shape)}]");
        return draw.to(like.dtype, like.device, copy: true);
    }
}
