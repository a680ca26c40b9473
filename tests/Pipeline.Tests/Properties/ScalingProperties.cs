using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipeline.Components;
using Pipeline.Diffusion;
using Pipeline.Diffusion.Discretization;
using Pipeline.Diffusion.Denoising;
using Pipeline.Diffusion.Scaling;
using Xunit;
using static TorchSharp.torch;
using Cond = Pipeline.Conditioning.Conditioning;

namespace Pipeline.Tests.Properties;

public class ScalingProperties
{
    static bool Near(double a, double b, double tol = 1e-9) => Math.Abs(a - b) <= tol * Math.Max(1, Math.Abs(b));

    static (double Skip, double Out, double In, double Noise) At(IDenoiserScaling scaling, double sigma)
    {
        using var scope = NewDisposeScope();
        var s = scaling.Get(tensor(new[] { sigma }, ScalarType.Float64));
        return (s.CSkip.item<double>(), s.COut.item<double>(), s.CIn.item<double>(), s.CNoise.item<double>());
    }

    [Property(MaxTest = 200)]
    public Property Eps_scaling_identities() => Prop.ForAll(Generators.LogUniformSigmas, sigma =>
    {
        var c = At(new EpsScaling(), sigma);
        return Near(c.In * c.In * (sigma * sigma + 1), 1) && c.Skip == 1 && Near(c.Out, -sigma) && Near(c.Noise, sigma);
    });

    [Property(MaxTest = 200)]
    public Property EDM_scaling_identities() => Prop.ForAll(Generators.LogUniformSigmas, sigma =>
    {
        const double sd = 0.5;
        var c = At(new EDMScaling(sd), sigma);
        return Near(c.Skip, sd * sd / (sigma * sigma + sd * sd)) && Near(c.Skip, sd * sd * c.In * c.In)
               && Near(c.Out * c.Out, c.Skip * sigma * sigma)
               && Near(c.Noise, 0.25 * Math.Log(sigma));
    });

    [Property(MaxTest = 200)]
    public Property V_scaling_identities() => Prop.ForAll(Generators.LogUniformSigmas, sigma =>
    {
        var v = At(new VScaling(), sigma);
        var ve = At(new VScalingWithEDMcNoise(), sigma);
        return Near(v.Skip, v.In * v.In) && Near(v.Out, -sigma * v.In) && Near(v.Noise, sigma)
               && Near(ve.Skip, v.Skip) && Near(ve.Out, v.Out) && Near(ve.Noise, 0.25 * Math.Log(sigma));
    });

    public static IEnumerable<object[]> Scalings => ComponentRegistry.BuiltIns.Names(ComponentKind.DenoiserScaling).Select(n => new object[] { n });

    static Func<Tensor, Tensor> SigmaFromCNoise(IDenoiserScaling scaling) => scaling switch
    {
        EDMScaling or VScalingWithEDMcNoise => c => (4 * c).exp(),
        _ => c => c.alias(),
    };

    [Theory]
    [MemberData(nameof(Scalings))]
    public void Denoiser_with_an_oracle_network_returns_x0(string name)
    {
        var scaling = ComponentRegistry.BuiltIns.Scaling(name);
        Prop.ForAll(Generators.LogUniformSigmas, Generators.Seeds, (sigma, seed) =>
        {
            using var scope = NewDisposeScope();
            using var noise = new Pipeline.Diffusion.Sampling.SeededNoise(seed);
            var x0 = noise.Normal(new long[] { 2, 3, 4, 4 }, ScalarType.Float64);
            var s = full(new long[] { 2 }, sigma, ScalarType.Float64);
            var x = x0 + noise.Normal(x0.shape, ScalarType.Float64) * SamplingMath.AppendDims(s, 4);
            var net = new OracleNetwork(x0, SigmaFromCNoise(scaling), scaling.Get);
            var d = new Denoiser(scaling).Denoise(net, x, s, new Cond());
            return (d - x0).abs().max().item<double>() <= 1e-9 * Math.Max(1, sigma);
        }).QuickCheckThrowOnFailure();
    }

    [Property(MaxTest = 100)]
    public Property Discrete_denoiser_with_an_oracle_network_returns_x0()
    {
        var denoiser = new DiscreteDenoiser(new EpsScaling(), new LegacyDDPMDiscretization());
        var table = tensor(denoiser.Table.ToArray());
        return Prop.ForAll(Generators.LogUniformSigmas, Generators.Seeds, (sigma, seed) =>
        {
            using var scope = NewDisposeScope();
            using var noise = new Pipeline.Diffusion.Sampling.SeededNoise(seed);
            var x0 = noise.Normal(new long[] { 2, 3, 4, 4 });
            var s = full(new long[] { 2 }, (float)sigma, ScalarType.Float32);
            var x = x0 + noise.Normal(x0.shape) * SamplingMath.AppendDims(denoiser.QuantizeSigma(s), 4);
            var net = new OracleNetwork(x0, idx => table[idx], new EpsScaling().Get);
            var d = denoiser.Denoise(net, x, s, new Cond());
            return (d - x0).abs().max().item<float>() <= 2e-5f * Math.Max(1f, (float)sigma);
        });
    }
}
