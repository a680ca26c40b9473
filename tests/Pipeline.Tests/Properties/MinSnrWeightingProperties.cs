using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Pipeline.Components;
using Pipeline.Diffusion.Training;
using Xunit;
using static TorchSharp.torch;

namespace Pipeline.Tests.Properties;

/// <summary>Min-SNR-γ: the ε weighting capped at γ, i.e. the ε loss scaled by min(1, γσ²).</summary>
public class MinSnrWeightingProperties
{
    static readonly Gen<double> LogUniformSigma = Gen.Choose(-4000, 3000).Select(k => Math.Exp(k / 1000.0));   // σ in [0.018, 20]
    static readonly Gen<double> Gammas = Gen.Choose(1, 2000).Select(k => k / 100.0);                            // γ in [0.01, 20]

    [Property(MaxTest = 200)]
    public Property It_is_the_eps_weighting_capped_at_gamma() => Prop.ForAll(LogUniformSigma.ToArbitrary(), Gammas.ToArbitrary(), (sigma, gamma) =>
    {
        using var scope = NewDisposeScope();
        var s = tensor(new[] { sigma }, ScalarType.Float64);
        double w = new MinSnrWeighting(gamma).Weight(s).item<double>();
        double eps = new EpsWeighting().Weight(s).item<double>();
        double expected = Math.Min(1 / (sigma * sigma), gamma);
        Assert.Equal(expected, w, expected * 1e-12);
        Assert.True(w <= eps * (1 + 1e-12), $"min-SNR {w} above the eps weighting {eps} at sigma {sigma}");
        // above sigma = gamma^-1/2 nothing changes; below it the eps loss is scaled by gamma*sigma^2 < 1
        if (sigma * sigma * gamma >= 1) Assert.Equal(eps, w, eps * 1e-12);
        else Assert.Equal(gamma * sigma * sigma, w / eps, 1e-12);
    });

    [Property(MaxTest = 100)]
    public Property It_never_grows_with_sigma() => Prop.ForAll(LogUniformSigma.ToArbitrary(), LogUniformSigma.ToArbitrary(), Gammas.ToArbitrary(), (a, b, gamma) =>
    {
        using var scope = NewDisposeScope();
        var weighting = new MinSnrWeighting(gamma);
        double wa = weighting.Weight(tensor(new[] { Math.Min(a, b) }, ScalarType.Float64)).item<double>();
        double wb = weighting.Weight(tensor(new[] { Math.Max(a, b) }, ScalarType.Float64)).item<double>();
        Assert.True(wb <= wa, $"weight rose from {wa} to {wb} between sigma {Math.Min(a, b)} and {Math.Max(a, b)}");
    });

    [Theory]
    [InlineData(0.0)]
    [InlineData(-1.0)]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void A_gamma_that_is_not_positive_and_finite_is_refused(double gamma)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new MinSnrWeighting(gamma));
        Assert.Contains("gamma", e.Message);
    }

    [Fact]
    public void The_registry_resolves_min_snr_to_gamma_5()
    {
        Assert.Equal(new MinSnrWeighting(5.0), ComponentRegistry.BuiltIns.LossWeighting("min-snr"));
    }
}
