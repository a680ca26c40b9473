using static TorchSharp.torch;

namespace Pipeline.Training.World;

/// <summary>
/// A shape-world stream for autoencoder training in which sample k (counted over the whole stream) shows only its
/// background — a flat canvas of that colour, captioned "a plain {colour} background" — when k is a multiple of
/// <see cref="Every"/>; every other sample is the world's own. The world always draws an object, so a VAE trained on it
/// alone never sees a flat image, and its decoder can smear the borders of one (the shipped VAE of 2026-12-04 returned
/// flat green with an 83/255 error along the bottom row). Deterministic and resumable as its source.
/// </summary>
public sealed class FlatBackgroundData : ITrainingData
{
    public FlatBackgroundData(ShapeWorldData world, int every)
    {
        World = world ?? throw new ArgumentNullException(nameof(world));
        if (every < 2) throw new ArgumentOutOfRangeException(nameof(every), every, "one sample in N is flat; N must be >= 2 (2: every other sample)");
        Every = every;
    }

    public ShapeWorldData World { get; }

    /// <summary>One sample in this many is a flat background.</summary>
    public int Every { get; }

    /// <summary>Whether sample <paramref name="k"/> of the stream (batch index × batch size + position) is flat.</summary>
    public bool IsFlat(long k) => k % Every == 0;

    public TrainingBatch Batch(long index)
    {
        var scenes = World.Scenes(index);
        var batch = ShapeWorldData.Render(scenes);
        var captions = scenes.Select(s => s.Caption).ToArray();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        for (int j = 0; j < scenes.Count; j++)
        {
            if (!IsFlat(index * World.Settings.BatchSize + j)) continue;
            var bg = scenes[j].Labels.Background;
            batch.Images[j].copy_(tensor(new[] { bg.R / 127.5f - 1, bg.G / 127.5f - 1, bg.B / 127.5f - 1 }).reshape(3, 1, 1).expand_as(batch.Images[j]));
            captions[j] = $"a plain {bg.Name} background";
        }
        return batch with { Captions = captions };
    }
}
