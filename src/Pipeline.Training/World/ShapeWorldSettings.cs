using Pipeline.Conditioning;

namespace Pipeline.Training.World;

/// <summary>
/// The data stream's knobs. Each sample's original long side is drawn log-uniformly from
/// [<see cref="MinOriginalSide"/>, <see cref="MaxOriginalSide"/>] (size conditioning); with probability
/// <see cref="CropProbability"/> it is rendered on a canvas 1…<see cref="MaxCanvasScale"/>× the bucket and a random
/// window is cropped (crop conditioning), otherwise the object lies fully inside the image and the crop is (0, 0).
/// The object's size is a fraction in [<see cref="MinObjectFraction"/>, <see cref="MaxObjectFraction"/>] of the
/// canvas's mean side √(height·width) (so a wide bucket's object is as large as a square one's), capped so that it
/// keeps <see cref="BorderMargin"/> canvas pixels from every border of the canvas; an uncropped object therefore lies
/// well inside the image. The bucket of batch i is drawn from <see cref="Buckets"/> by (seed, i).
/// </summary>
public sealed record ShapeWorldSettings(
    long Seed,
    int BatchSize,
    IReadOnlyList<ImageSize> Buckets,
    double CropProbability = 0.5,
    int MinOriginalSide = 16,
    int MaxOriginalSide = 128,
    double MaxCanvasScale = 1.5,
    double MinObjectFraction = 0.3,
    double MaxObjectFraction = 0.7,
    double BorderMargin = 4)
{
    /// <summary>The base model's data: multi-aspect buckets, originals 16…128 px, half the samples cropped.</summary>
    public static ShapeWorldSettings Base(long seed, int batchSize) => new(seed, batchSize, WorldBuckets.MultiAspect);

    /// <summary>The high-quality mode for the refiner: large originals only (96…128 px, score ≥ 6.2).</summary>
    public ShapeWorldSettings HighQuality() => this with { MinOriginalSide = 96, MaxOriginalSide = 128 };

    /// <summary>Problems with these settings (empty when valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var p = new List<string>();
        if (BatchSize < 1) p.Add($"batch size {BatchSize} must be ≥ 1");
        if (Buckets is null || Buckets.Count == 0) p.Add("at least one bucket is needed");
        else p.AddRange(Buckets.SelectMany(WorldBuckets.Problems));
        if (!(CropProbability >= 0 && CropProbability <= 1)) p.Add($"crop probability {CropProbability} must be in [0, 1]");
        if (MinOriginalSide < 4 || MaxOriginalSide < MinOriginalSide)
            p.Add($"original side range [{MinOriginalSide}, {MaxOriginalSide}] must satisfy 4 ≤ min ≤ max");
        if (!(MaxCanvasScale >= 1 && MaxCanvasScale <= 4)) p.Add($"max canvas scale {MaxCanvasScale} must be in [1, 4]");
        if (!(MinObjectFraction > 0 && MinObjectFraction <= MaxObjectFraction && MaxObjectFraction <= 0.9))
            p.Add($"object fraction range [{MinObjectFraction}, {MaxObjectFraction}] must satisfy 0 < min ≤ max ≤ 0.9");
        if (!(BorderMargin >= 0 && BorderMargin <= 16)) p.Add($"border margin {BorderMargin} must be in [0, 16] pixels");
        return p;
    }

    internal ShapeWorldSettings Validated()
    {
        var p = Problems();
        return p.Count == 0 ? this : throw new ArgumentException("invalid ShapeWorldSettings: " + string.Join("; ", p));
    }
}
