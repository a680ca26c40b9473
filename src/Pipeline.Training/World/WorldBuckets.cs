using Pipeline.Conditioning;

namespace Pipeline.Training.World;

/// <summary>Aspect buckets (h × w, multiples of 8) for the 64² world: SDXL's multi-aspect training at 1/16 scale.</summary>
public static class WorldBuckets
{
    /// <summary>64×64, 56×72, 72×56, 48×80, 80×48 (about 64² pixels each).</summary>
    public static readonly IReadOnlyList<ImageSize> MultiAspect = new ImageSize[]
    {
        new(64, 64), new(56, 72), new(72, 56), new(48, 80), new(80, 48),
    };

    /// <summary>A single fixed bucket, e.g. 32×32 for the low-resolution stage or 64×64 for the second.</summary>
    public static IReadOnlyList<ImageSize> Single(int height, int width) => new[] { new ImageSize(height, width) };

    /// <summary>Problems with a bucket (empty when valid): positive multiples of 8.</summary>
    public static IReadOnlyList<string> Problems(ImageSize bucket) =>
        bucket.Height < 8 || bucket.Width < 8 || bucket.Height % 8 != 0 || bucket.Width % 8 != 0
            ? new[] { $"bucket {bucket.Height}×{bucket.Width} must be positive multiples of 8" }
            : Array.Empty<string>();
}
