namespace Pipeline.Training.World;

/// <summary>
/// SplitMix64: a tiny, version-stable generator (System.Random's algorithm is not promised across .NET versions).
/// Streams are derived by hashing (seed, keys…), so any batch or sample can be drawn without drawing the ones before it.
/// </summary>
internal struct WorldRandom
{
    private ulong _state;

    private WorldRandom(ulong state) => _state = state;

    public static WorldRandom For(long seed, params long[] keys)
    {
        ulong h = Mix((ulong)seed ^ 0x5851F42D4C957F2DUL);
        foreach (var k in keys) h = Mix(h ^ Mix((ulong)k + 0x9E3779B97F4A7C15UL));
        return new WorldRandom(h);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    public ulong NextULong()
    {
        _state += 0x9E3779B97F4A7C15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform in [min, max).</summary>
    public double Uniform(double min, double max) => min + (max - min) * NextDouble();

    /// <summary>Uniform integer in [0, count).</summary>
    public int Next(int count) => (int)(NextDouble() * count);

    /// <summary>Uniform integer in [min, max] (inclusive).</summary>
    public int NextInclusive(int min, int max) => min + Next(max - min + 1);
}
