namespace Pipeline.Training.World;

/// <summary>
/// Autoencoder data beyond the palette: the base world's stream (<see cref="ShapeWorldSettings"/>: buckets, geometry,
/// blur, crops) where each sample, with probability <see cref="RandomShare"/>, has an object and a background of uniformly
/// random sRGB colours (at least <see cref="MinContrast"/> apart, so the shape stays visible) instead of palette ones. A
/// decoder trained only on the eight palette colours cannot show any other (pink came back white, purple bluer); this
/// stream teaches it the whole colour cube, so that an adapter which makes the UNet produce a new colour's latents is
/// actually seen. Batch i depends only on the settings and i.
/// </summary>
public sealed record AnyColourWorldSettings(ShapeWorldSettings World, double RandomShare = 0.5, double MinContrast = 80)
{
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>(World.Problems());
        if (!(RandomShare >= 0 && RandomShare <= 1)) p.Add($"random colour share {RandomShare} must be in [0, 1]");
        if (!(MinContrast >= 0 && MinContrast <= 200)) p.Add($"minimum contrast {MinContrast} must be in [0, 200] (sRGB distance)");
        return p;
    }
}

/// <summary>The stream of <see cref="AnyColourWorldSettings"/>.</summary>
public sealed class AnyColourWorldData : ITrainingData
{
    readonly ShapeWorldData _world;

    public AnyColourWorldSettings Settings { get; }

    public AnyColourWorldData(AnyColourWorldSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var p = settings.Problems();
        if (p.Count > 0) throw new ArgumentException("invalid AnyColourWorldSettings: " + string.Join("; ", p));
        Settings = settings;
        _world = new ShapeWorldData(settings.World);
    }

    /// <summary>The random-colour labels of sample <paramref name="sample"/>, or null when it is a plain base-world draw.</summary>
    public WorldLabels? RandomLabels(long sample)
    {
        var rng = WorldRandom.For(Settings.World.Seed, sample, 0xC010A5);
        if (!(rng.NextDouble() < Settings.RandomShare)) return null;
        WorldColor Draw(ref WorldRandom r) => new("rgb", (byte)r.Next(256), (byte)r.Next(256), (byte)r.Next(256));
        var shape = ShapeWorld.Shapes[rng.Next(ShapeWorld.Shapes.Count)];
        var color = Draw(ref rng);
        WorldColor background;
        do background = Draw(ref rng); while (Distance(color, background) < Settings.MinContrast);
        return new WorldLabels(color, shape, background);
    }

    static double Distance(WorldColor a, WorldColor b) =>
        Math.Sqrt((a.R - b.R) * (a.R - b.R) + (a.G - b.G) * (a.G - b.G) + (a.B - b.B) * (a.B - b.B));

    public IReadOnlyList<WorldScene> Scenes(long index) => _world.Scenes(index, RandomLabels);

    public TrainingBatch Batch(long index) => ShapeWorldData.Deferred(Scenes(index));
}
