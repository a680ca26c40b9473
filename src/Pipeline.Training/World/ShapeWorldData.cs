using Pipeline.Conditioning;
using static TorchSharp.torch;

namespace Pipeline.Training.World;

/// <summary>
/// The procedural training stream: batch i is drawn from one bucket (chosen by (seed, i)) and depends only on the
/// settings and i, so resuming at any step is exact.
/// </summary>
public sealed class ShapeWorldData : ITrainingData
{
    public ShapeWorldSettings Settings { get; }

    public ShapeWorldData(ShapeWorldSettings settings) => Settings = settings.Validated();

    /// <summary>The bucket of batch <paramref name="index"/>.</summary>
    public ImageSize BucketOf(long index)
    {
        var rng = WorldRandom.For(Settings.Seed, index, 0xB0C4E7);
        return Settings.Buckets[rng.Next(Settings.Buckets.Count)];
    }

    /// <summary>The scenes of batch <paramref name="index"/> (what <see cref="Batch"/> renders).</summary>
    public IReadOnlyList<WorldScene> Scenes(long index) => Scenes(index, _ => null);

    /// <summary>Batch <paramref name="index"/>'s scenes with sample k's labels replaced by <paramref name="labelsOf"/>(k)
    /// where that is not null (geometry, sizes and crops stay the base stream's draws).</summary>
    public IReadOnlyList<WorldScene> Scenes(long index, Func<long, WorldLabels?> labelsOf)
    {
        ArgumentNullException.ThrowIfNull(labelsOf);
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), index, "batch index must be ≥ 0");
        var bucket = BucketOf(index);
        return Enumerable.Range(0, Settings.BatchSize)
            .Select(j => index * Settings.BatchSize + j)
            .Select(k => WorldScenes.Draw(Settings, bucket, Settings.Seed, k, labelsOf(k)))
            .ToArray();
    }

    /// <summary>Batch <paramref name="index"/>, deferred (<see cref="Deferred"/>): its pixels are rendered on first use.</summary>
    public TrainingBatch Batch(long index) => Deferred(Scenes(index));

    /// <summary>
    /// A deferred training batch of <paramref name="scenes"/>: labels and micro-conditioning now, each scene's
    /// <see cref="WorldScene.ImageKey"/> as its image key, the pixels (<see cref="Render"/>) when first read — so a
    /// diffusion step whose latents are all cached renders nothing.
    /// </summary>
    public static TrainingBatch Deferred(IReadOnlyList<WorldScene> scenes)
    {
        var target = CheckScenes(scenes);
        var valid = scenes.Select(s => s.Validated()).ToArray();   // a bad scene fails here, not at its first render
        return TrainingBatch.Deferred(() => Pixels(valid, target), valid.Select(s => s.ImageKey).ToArray(),
            valid.Select(s => s.Caption).ToArray(), valid.Select(s => s.Original).ToArray(), valid.Select(s => s.Crop).ToArray(),
            target, valid.Select(s => s.QualityScore).ToArray());
    }

    /// <summary>Renders scenes of one target size into a training batch (images in [-1, 1]), now and without image keys
    /// (a caller may change these pixels in place, e.g. <see cref="FlatBackgroundData"/>).</summary>
    public static TrainingBatch Render(IReadOnlyList<WorldScene> scenes)
    {
        var deferred = Deferred(scenes);
        return deferred with { Images = deferred.Images };   // rendered once; new Images drop the keys (the copy owns the tensor)
    }

    static ImageSize CheckScenes(IReadOnlyList<WorldScene> scenes)
    {
        ArgumentNullException.ThrowIfNull(scenes);
        if (scenes.Count == 0) throw new ArgumentException("a batch needs at least one scene");
        var target = scenes[0].Target;
        if (scenes.Any(s => s.Target != target))
            throw new ArgumentException($"every scene of a batch must share one target size; got {string.Join(", ", scenes.Select(s => s.Target).Distinct())}");
        return target;
    }

    /// <summary>The validated scenes' images [B, 3, H, W] in [-1, 1] (the caller owns the tensor; it is in the caller's dispose scope).</summary>
    static Tensor Pixels(IReadOnlyList<WorldScene> scenes, ImageSize target)
    {
        int n = 3 * target.Height * target.Width;
        var data = new float[scenes.Count * n];
        for (int i = 0; i < scenes.Count; i++)
            WorldRenderer.Blend(WorldRenderer.Coverage(scenes[i]), scenes[i].Labels, data, i * n, -1f, 1f);
        using var _ = NewDisposeScope();
        return tensor(data, new long[] { scenes.Count, 3, target.Height, target.Width }).MoveToOuterDisposeScope();
    }
}
