using Pipeline.Diffusion.Sampling;
using static TorchSharp.torch;

namespace Samplers.KDiffusion;

/// <summary>
/// Brownian-tree noise (k-diffusion's <c>BrownianTreeNoiseSampler</c>, after torchsde's <c>BrownianTree</c>): one
/// seeded Brownian path W over [σ_min, σ_max], evaluated at any σ by bisection with Brownian-bridge midpoints
/// W((a+b)/2) = (W(a) + W(b))/2 + √((b − a)/4)·z, where z comes from a generator seeded by (seed, node), down to
/// intervals of width <see cref="Tolerance"/> and linear inside those. <see cref="Next(Tensor, double, double)"/>
/// returns the normalised increment (W(σ_next) − W(σ))/√|σ_next − σ|: standard normal, the same for the same
/// seed, shape and interval, and increments over adjacent intervals add up (W is one path), so SDE samplers see
/// noise that is consistent across step counts. Draws without an interval (<see cref="Next(Tensor)"/>) come from an
/// independent seeded stream. Values are computed in float64 on the CPU, then converted to the caller's dtype and
/// device.
/// </summary>
public sealed class BrownianTreeNoise : INoiseSource, IDisposable
{
    readonly SeededNoise _plain;

    public BrownianTreeNoise(long seed, double sigmaMin, double sigmaMax, double tolerance = 1e-6)
    {
        if (!(sigmaMin >= 0 && sigmaMax > sigmaMin && double.IsFinite(sigmaMax)))
            throw new ArgumentException($"need 0 <= sigma_min < sigma_max < inf, got {sigmaMin}, {sigmaMax}");
        if (!(tolerance > 0)) throw new ArgumentOutOfRangeException(nameof(tolerance), $"tolerance must be positive, got {tolerance}");
        (Seed, SigmaMin, SigmaMax, Tolerance) = (seed, sigmaMin, sigmaMax, tolerance);
        _plain = new SeededNoise(unchecked((long)Mix((ulong)seed ^ 0x5EED_0F_97A1_0000UL)));
    }

    /// <summary>A tree over the positive part of a schedule, as k-diffusion builds it: [min σ &gt; 0, max σ].</summary>
    public static BrownianTreeNoise For(Pipeline.Diffusion.Sigmas sigmas, long seed) =>
        new(seed, sigmas.Where(s => s > 0).Min(), sigmas[0]);

    public long Seed { get; }
    public double SigmaMin { get; }
    public double SigmaMax { get; }
    public double Tolerance { get; }

    public Tensor Next(Tensor like) => _plain.Next(like);

    public Tensor Next(Tensor like, double sigma, double sigmaNext)
    {
        if (sigma == sigmaNext) throw new ArgumentException($"the noise interval is empty (sigma = sigma_next = {sigma})");
        using var scope = NewDisposeScope();
        var increment = (PathAt(like.shape, Clamp(sigmaNext)) - PathAt(like.shape, Clamp(sigma))) / Math.Sqrt(Math.Abs(sigmaNext - sigma));
        return increment.to(like.dtype, like.device).MoveToOuterDisposeScope();
    }

    double Clamp(double sigma)
    {
        double slack = 1e-6 * SigmaMax;
        if (double.IsNaN(sigma) || sigma < SigmaMin - slack || sigma > SigmaMax + slack)
            throw new ArgumentOutOfRangeException(nameof(sigma), $"sigma = {sigma} is outside the Brownian tree's interval [{SigmaMin}, {SigmaMax}]");
        return Math.Clamp(sigma, SigmaMin, SigmaMax);
    }

    /// <summary>W(t) for one shape: W(σ_min) = 0, W(σ_max) ~ N(0, σ_max − σ_min), bridge midpoints below.</summary>
    Tensor PathAt(long[] shape, double t)
    {
        double a = SigmaMin, b = SigmaMax;
        var wa = zeros(shape, ScalarType.Float64);
        var wb = Gaussian(shape, depth: 0, node: 0) * Math.Sqrt(b - a);
        ulong node = 1;
        for (int depth = 1; depth < 62 && t != a && t != b && b - a > Tolerance; depth++)
        {
            double m = a + (b - a) / 2;
            var wm = (wa + wb) / 2 + Gaussian(shape, depth, node) * Math.Sqrt((b - a) / 4);
            if (t < m) (b, wb, node) = (m, wm, node * 2);
            else (a, wa, node) = (m, wm, node * 2 + 1);
        }
        if (t == a) return wa;
        if (t == b) return wb;
        return wa + (wb - wa) * ((t - a) / (b - a));
    }

    Tensor Gaussian(long[] shape, int depth, ulong node)
    {
        ulong key = Mix(Mix((ulong)Seed) ^ Mix(((ulong)depth << 58) ^ node));
        using var generator = new Generator(key, CPU);
        return randn(shape, ScalarType.Float64, CPU, generator: generator);
    }

    /// <summary>SplitMix64's finaliser: decorrelates node keys derived from the seed.</summary>
    static ulong Mix(ulong z)
    {
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public void Dispose() => _plain.Dispose();
}
