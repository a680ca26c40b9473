using Pipeline.Diffusion;
using static TorchSharp.torch;
using Cond = Pipeline.Conditioning.Conditioning;

namespace Pipeline.Tests.Properties;

/// <summary>
/// A network that knows the clean sample x₀ and how its denoiser encodes σ in c_noise, so it can always answer
/// the output F that makes c_skip·x + c_out·F = x₀: the denoiser with this network must return x₀.
/// </summary>
sealed class OracleNetwork(Tensor x0, Func<Tensor, Tensor> sigmaFromCNoise, Func<Tensor, Pipeline.Diffusion.Scaling.DenoiserScalings> scalings)
    : IDiffusionNetwork
{
    public int Calls { get; private set; }

    public Tensor Forward(Tensor input, Tensor timesteps, Cond conditioning)
    {
        Calls++;
        using var scope = NewDisposeScope();
        var sigma = SamplingMath.AppendDims(sigmaFromCNoise(timesteps).to(ScalarType.Float64), input.dim());
        var s = scalings(sigma);
        var x = input.to(ScalarType.Float64) / s.CIn;
        return ((x0.to(ScalarType.Float64) - s.CSkip * x) / s.COut).to(input.dtype).MoveToOuterDisposeScope();
    }
}
