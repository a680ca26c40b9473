namespace Pipeline.Training.World;

/// <summary>
/// LoRA training data for a new colour: the base world's stream (<see cref="ShapeWorldSettings"/>, same buckets,
/// geometry and micro-conditioning), where each sample shows the <see cref="Concept"/> colour with probability
/// <see cref="ConceptFraction"/> — as the object, or (with probability <see cref="BackgroundShare"/>) as the background,
/// the other colour from the base palette — and is otherwise a plain base-world sample (prior preservation).
/// </summary>
public sealed record ConceptWorldSettings(ShapeWorldSettings World, WorldColor Concept, double ConceptFraction = 0.5, double BackgroundShare = 1.0 / 3)
{
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>(World.Problems());
        if (ShapeWorld.Colors.Contains(Concept)) p.Add($"'{Concept.Name}' is already a base colour; a concept must be new");
        if (string.IsNullOrWhiteSpace(Concept.Name) || Concept.Name.Contains(' ')) p.Add($"concept name '{Concept.Name}' must be one word");
        if (!(ConceptFraction >= 0 && ConceptFraction <= 1)) p.Add($"concept fraction {ConceptFraction} must be in [0, 1]");
        if (!(BackgroundShare >= 0 && BackgroundShare <= 1)) p.Add($"background share {BackgroundShare} must be in [0, 1]");
        return p;
    }
}

/// <summary>The stream of <see cref="ConceptWorldSettings"/>; batch i depends only on the settings and i (exact resume).</summary>
public sealed class ConceptWorldData : ITrainingData
{
    readonly ShapeWorldData _world;

    public ConceptWorldSettings Settings { get; }

    public ConceptWorldData(ConceptWorldSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var p = settings.Problems();
        if (p.Count > 0) throw new ArgumentException("invalid ConceptWorldSettings: " + string.Join("; ", p));
        Settings = settings;
        _world = new ShapeWorldData(settings.World);
    }

    /// <summary>The labels of sample <paramref name="sample"/> when it shows the concept, else null (a base-world draw).</summary>
    public WorldLabels? ConceptLabels(long sample)
    {
        var rng = WorldRandom.For(Settings.World.Seed, sample, 0xC0C3E7);
        if (!(rng.NextDouble() < Settings.ConceptFraction)) return null;
        var other = ShapeWorld.Colors[rng.Next(ShapeWorld.Colors.Count)];
        var shape = ShapeWorld.Shapes[rng.Next(ShapeWorld.Shapes.Count)];
        return rng.NextDouble() < Settings.BackgroundShare
            ? new WorldLabels(other, shape, Settings.Concept)
            : new WorldLabels(Settings.Concept, shape, other);
    }

    public IReadOnlyList<WorldScene> Scenes(long index) => _world.Scenes(index, ConceptLabels);

    public TrainingBatch Batch(long index) => ShapeWorldData.Deferred(Scenes(index));
}
