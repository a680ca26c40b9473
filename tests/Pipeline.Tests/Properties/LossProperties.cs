using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Denoising;
using Pipeline.Diffusion.Sampling;
using Pipeline.Diffusion.Scaling;
using Pipeline.Diffusion.Training;
using Xunit;
using static TorchSharp.torch;
using Cond = Pipeline.Conditioning.Conditioning;

namespace Pipeline.Tests.Properties;

public class LossProperties
{
    /// <summary>Replays fixed draws: sigma indices, then noise, then offset noise.</summary>
    sealed class ScriptedRandom(Tensor idx, Tensor noise, Tensor offset) : IRandomSource
    {
        int _normals;
        public Tensor Normal(long[] shape, Device device) => (_normals++ == 0 ? noise : offset).clone();
        public Tensor Integers(long low, long high, long[] shape, Device device) => idx.clone();
        public Tensor Uniform(long[] shape, Device device) => throw new NotSupportedException();
    }

    [Property(MaxTest = 50)]
    public Property The_loss_of_an_oracle_network_is_zero() => Prop.ForAll(Generators.Seeds, seed =>
    {
        using var scope = NewDisposeScope();
        var disc = new LegacyDDPMDiscretization();
        var denoiser = new DiscreteDenoiser(new EpsScaling(), disc);
        var loss = new StandardDiffusionLoss(new DiscreteSampling(disc), new EpsWeighting(), OffsetNoiseLevel: 0.05);
        using var random = new SeededRandom(seed);
        var x0 = random.Normal(new long[] { 3, 4, 4, 4 }, CPU);
        var table = tensor(denoiser.Table.ToArray());
        var net = new OracleNetwork(x0, idx => table[idx], new EpsScaling().Get);
        var perSample = loss.PerSample(denoiser, net, x0, new Cond(), random);
        return perSample.shape.SequenceEqual(new long[] { 3 }) && perSample.abs().max().item<float>() < 1e-6f;
    });

    [Fact]
    public void The_loss_replays_exact_draws_and_applies_offset_noise_and_weighting()
    {
        using var scope = NewDisposeScope();
        var disc = new LegacyDDPMDiscretization();
        var denoiser = new Denoiser(new EpsScaling());
        var sampling = new DiscreteSampling(disc);
        var x0 = arange(2 * 3 * 2 * 2, dtype: ScalarType.Float32).reshape(2, 3, 2, 2) / 10;
        var idx = tensor(new long[] { 10, 500 });
        var noise = ones(2, 3, 2, 2);
        var offset = tensor(new[] { 1f, -2f });
        var zeroNet = new ZeroNetwork();
        foreach (var type in new[] { DiffusionLossType.L2, DiffusionLossType.L1 })
        {
            var loss = new StandardDiffusionLoss(sampling, new EpsWeighting(), type, OffsetNoiseLevel: 0.1);
            var actual = loss.PerSample(denoiser, zeroNet, x0, new Cond(), new ScriptedRandom(idx, noise, offset));
            // Network output 0 → D = x_noised, so D − x0 = σ·(n + 0.1·offset); weighted by σ⁻².
            var sigma = sampling.IdxToSigma(idx);
            var n = noise + 0.1 * offset.reshape(2, 1, 1, 1);
            var diff = n * sigma.reshape(2, 1, 1, 1);
            var w = sigma.pow(-2).reshape(2, 1, 1, 1);
            var expected = (type == DiffusionLossType.L2 ? w * diff.pow(2) : w * diff.abs()).reshape(2, -1).mean(new long[] { 1 });
            Assert.True(actual.allclose(expected, 1e-5, 1e-6), $"{type}: {string.Join(", ", actual.data<float>().ToArray())} vs {string.Join(", ", expected.data<float>().ToArray())}");
        }
    }

    sealed class ZeroNetwork : Pipeline.Diffusion.IDiffusionNetwork
    {
        public Tensor Forward(Tensor input, Tensor timesteps, Cond conditioning) => zeros_like(input);
    }
}
