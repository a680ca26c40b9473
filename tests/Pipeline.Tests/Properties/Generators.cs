using FsCheck;
using FsCheck.Fluent;

namespace Pipeline.Tests.Properties;

/// <summary>FsCheck generators for the diffusion laws, each named after the constraint it generates.</summary>
static class Generators
{
    /// <summary>Step counts a user may ask for.</summary>
    public static Arbitrary<int> StepCounts => Gen.Choose(1, 150).ToArbitrary();

    /// <summary>Step counts a DDPM schedule with 1000 timesteps accepts.</summary>
    public static Arbitrary<int> LegacyStepCounts => Gen.Choose(1, 1000).ToArbitrary();

    /// <summary>σ log-uniform in [1e-3, 1e3).</summary>
    public static Arbitrary<double> LogUniformSigmas => Gen.Choose(-3000, 3000).Select(e => Math.Pow(10, e / 1000.0)).ToArbitrary();

    /// <summary>Seeds for noise.</summary>
    public static Arbitrary<int> Seeds => Gen.Choose(0, int.MaxValue - 1).ToArbitrary();
}
