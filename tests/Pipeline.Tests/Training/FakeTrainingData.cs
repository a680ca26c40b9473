using Pipeline.Conditioning;
using Pipeline.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Pipeline.Tests.Training;

/// <summary>
/// A trivially learnable, deterministic data source: each image is one flat colour (of four) with a light
/// gradient, captioned by its colour; batch i depends only on (seed, i) (or is always batch 0, to overfit).
/// </summary>
sealed class FakeTrainingData(int batchSize, int height, int width, long seed = 0, bool repeatFirstBatch = false) : ITrainingData
{
    static readonly (string Name, float R, float G, float B)[] Colors =
    {
        ("red", 0.8f, -0.7f, -0.7f), ("green", -0.7f, 0.6f, -0.5f), ("blue", -0.7f, -0.4f, 0.8f), ("white", 0.9f, 0.9f, 0.9f),
    };

    public TrainingBatch Batch(long index)
    {
        if (repeatFirstBatch) index = 0;
        using var generator = new Generator((ulong)(seed * 1_000_003 + index + 1), CPU);
        using var scope = NewDisposeScope();
        var picks = randint(0, Colors.Length, new long[] { batchSize }, ScalarType.Int64, CPU, generator: generator);
        var ids = picks.data<long>().ToArray();
        var rgb = tensor(ids.SelectMany(i => new[] { Colors[i].R, Colors[i].G, Colors[i].B }).ToArray(), new long[] { batchSize, 3, 1, 1 });
        var ramp = linspace(-0.1, 0.1, width).view(1, 1, 1, width);
        var images = (rgb + ramp).expand(batchSize, 3, height, width).contiguous().clamp(-1, 1).MoveToOuterDisposeScope();
        var n = batchSize;
        return new TrainingBatch(images,
            ids.Select(i => $"a {Colors[i].Name} image").ToList(),
            Enumerable.Range(0, n).Select(j => new ImageSize(height * (1 + j % 2), width * (1 + j % 2))).ToList(),
            Enumerable.Range(0, n).Select(j => new CropCoords(j % 3, 0)).ToList(),
            new ImageSize(height, width),
            Enumerable.Range(0, n).Select(j => 5.0 + j % 2).ToList());
    }
}
