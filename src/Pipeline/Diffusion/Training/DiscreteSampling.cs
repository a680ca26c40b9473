using Pipeline.Diffusion.Discretization;
using static TorchSharp.torch;

namespace Pipeline.Diffusion.Training;

/// <summary>
/// σ = table[idx], idx uniform in [<see cref="MinIdx"/>, <see cref="MaxIdx"/>) over the ascending
/// <paramref name="NumIdx"/>-entry table of <paramref name="Discretization"/> (sgm <c>DiscreteSampling</c>).
/// The refiner trains on the first 200 noise scales: <c>MaxIdx = 200</c>.
/// </summary>
public sealed record DiscreteSampling(LegacyDDPMDiscretization Discretization, int NumIdx = 1000, int MinIdx = 0, int? MaxIdx = null)
    : ISigmaSampler
{
    public IReadOnlyList<float> Table => Discretization.AscendingTable(NumIdx);

    public Tensor Sample(int n, IRandomSource random, Device device)
    {
        int max = MaxIdx ?? NumIdx;
        if (MinIdx < 0 || max > NumIdx || MinIdx >= max)
            throw new ArgumentOutOfRangeException(nameof(MaxIdx), $"need 0 <= MinIdx < MaxIdx <= {NumIdx}, got [{MinIdx}, {max})");
        using var scope = NewDisposeScope();
        var idx = random.Integers(MinIdx, max, new long[] { n }, device);
        return IdxToSigma(idx).MoveToOuterDisposeScope();
    }

    public Tensor IdxToSigma(Tensor idx) => tensor(Table.ToArray(), dtype: ScalarType.Float32, device: idx.device)[idx];
}
