using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Scaling;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Denoising;

/// <summary>
/// sgm <c>DiscreteDenoiser</c> (the SDXL base/refiner denoiser): every σ is replaced by the nearest entry of
/// the model's <paramref name="NumIdx"/>-entry table (first index on ties) and, with
/// <paramref name="QuantizeCNoise"/>, the network receives that table index (int64) as its timestep.
/// </summary>
public sealed record DiscreteDenoiser(IDenoiserScaling Scaling, LegacyDDPMDiscretization Discretization, int NumIdx = 1000,
    bool QuantizeCNoise = true) : IDenoiser
{
    /// <summary>The ascending σ table (index = DDPM timestep).</summary>
    public IReadOnlyList<float> Table => Discretization.AscendingTable(NumIdx);

    Tensor TableOn(Device device) => tensor(Table.ToArray(), dtype: ScalarType.Float32, device: device);

    /// <summary>Nearest table index of each σ (argmin |σ − table|, first on ties), int64.</summary>
    public Tensor SigmaToIdx(Tensor sigma)
    {
        using var scope = NewDisposeScope();
        var table = TableOn(sigma.device);
        var dists = sigma.to(ScalarType.Float32).reshape(1, -1) - table.unsqueeze(1);
        return dists.abs().argmin(0).view(sigma.shape).MoveToOuterDisposeScope();
    }

    /// <summary>Table σ at each index.</summary>
    public Tensor IdxToSigma(Tensor idx)
    {
        using var scope = NewDisposeScope();
        if (idx.numel() > 0 && (idx.min().item<long>() < 0 || idx.max().item<long>() >= NumIdx))
            throw new ArgumentOutOfRangeException(nameof(idx), $"indices must be in [0, {NumIdx})");
        return TableOn(idx.device)[idx.to(ScalarType.Int64)].MoveToOuterDisposeScope();
    }

    public Tensor QuantizeSigma(Tensor sigma)
    {
        using var scope = NewDisposeScope();
        return IdxToSigma(SigmaToIdx(sigma)).MoveToOuterDisposeScope();
    }

    /// <summary>sgm <c>possibly_quantize_c_noise</c>: the table index of c_noise when quantizing, else c_noise.</summary>
    public Tensor QuantizeCNoiseOf(Tensor cNoise) => QuantizeCNoise ? SigmaToIdx(cNoise) : cNoise.alias();

    public Tensor Denoise(IDiffusionNetwork network, Tensor x, Tensor sigma, Conditioning.Conditioning conditioning) =>
        DenoiserMath.Apply(network, x, sigma, conditioning, Scaling, QuantizeSigma, QuantizeCNoiseOf);
}
